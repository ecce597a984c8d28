-- Version 1 of the customers read model. The API reads through the view "customers"; a rebuild
-- fills customers_v2 beside this table and swaps the view in one transaction.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE customers_v1 (
    id          uuid        PRIMARY KEY,
    name        text        NOT NULL,
    address     text        NOT NULL,
    parent_id   uuid,
    parent_name text,
    -- ancestors lists the ids from the parent up to the root ('{}' for a root customer), so
    -- "X or one of its descendants" is id = X OR ancestors @> ARRAY[X].
    ancestors   uuid[]      NOT NULL DEFAULT '{}',
    -- depth is 1 for a root customer: cardinality(ancestors) + 1.
    depth       int         NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    -- version is the aggregate version (the ETag); last_seq the stream sequence of its last event.
    version     bigint      NOT NULL,
    last_seq    bigint      NOT NULL
);

-- Keyset pagination by creation date, both directions (btree indexes scan backwards).
CREATE INDEX customers_v1_created_at_id ON customers_v1 (created_at, id);
-- Keyset pagination by name, case-insensitively.
CREATE INDEX customers_v1_lower_name_id ON customers_v1 (lower(name), id);
CREATE INDEX customers_v1_parent_id ON customers_v1 (parent_id);
CREATE INDEX customers_v1_ancestors ON customers_v1 USING gin (ancestors);
-- Case-insensitive substring search (lower(col) LIKE '%…%').
CREATE INDEX customers_v1_name_trgm ON customers_v1 USING gin (lower(name) gin_trgm_ops);
CREATE INDEX customers_v1_address_trgm ON customers_v1 USING gin (lower(address) gin_trgm_ops);

CREATE VIEW customers AS
    SELECT id, name, address, parent_id, parent_name, ancestors, depth,
           created_at, updated_at, version, last_seq
    FROM customers_v1;
