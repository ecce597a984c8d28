-- Version 1 of the users read model: the columns of the guide's List User page. It belongs to the
-- customers projection (same projector, same checkpoint "customers"), because a user row copies
-- its customer's name and ancestors, and a rename or move of a customer must change them in the
-- same transaction. The API reads through the view "users".
--
-- No password, password hash, session token or any other secret is ever stored here: credentials
-- live in their own store, and the events this table is built from carry none.
CREATE TABLE users_v1 (
    id                 uuid        PRIMARY KEY,
    customer_id        uuid        NOT NULL,
    -- customer_name is the name of the user's customer, kept current by customer renames.
    customer_name      text        NOT NULL,
    -- customer_ancestors are the ancestors of the user's customer (customers_v1.ancestors of that
    -- customer: its parent up to the root), so "the user's customer is X or below X" is
    -- customer_id = X OR customer_ancestors @> ARRAY[X], without a join.
    customer_ancestors uuid[]      NOT NULL DEFAULT '{}',
    role               text        NOT NULL,
    name               text        NOT NULL,
    email              text        NOT NULL,
    -- status is 'OFF' for a disabled user, which has no access.
    status             text        NOT NULL DEFAULT 'ON' CHECK (status IN ('ON', 'OFF')),
    remark             text        NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    -- version is the aggregate version (the ETag); last_seq the stream sequence of its last event.
    version            bigint      NOT NULL,
    last_seq           bigint      NOT NULL
);

-- Keyset pagination by creation date, both directions, and by name, case-insensitively.
CREATE INDEX users_v1_created_at_id ON users_v1 (created_at, id);
CREATE INDEX users_v1_lower_name_id ON users_v1 (lower(name), id);
-- A customer's users: renames, filters by customer.
CREATE INDEX users_v1_customer_id ON users_v1 (customer_id);
-- Scope checks and customer moves.
CREATE INDEX users_v1_customer_ancestors ON users_v1 USING gin (customer_ancestors);
-- Case-insensitive substring search over name, email and customer name, with small pending lists
-- (see 0004_trigram_pending_list.sql).
CREATE INDEX users_v1_name_trgm ON users_v1 USING gin (lower(name) gin_trgm_ops) WITH (gin_pending_list_limit = 256);
CREATE INDEX users_v1_email_trgm ON users_v1 USING gin (lower(email) gin_trgm_ops) WITH (gin_pending_list_limit = 256);
CREATE INDEX users_v1_customer_name_trgm ON users_v1 USING gin (lower(customer_name) gin_trgm_ops) WITH (gin_pending_list_limit = 256);

CREATE VIEW users AS
    SELECT id, customer_id, customer_name, customer_ancestors, role, name, email, status, remark,
           created_at, updated_at, version, last_seq
    FROM users_v1;
