-- Version 1 of the domains read model: the domains of every customer, for the customer's domain list
-- and the CSV export. It belongs to the customers projection (same projector, same checkpoint
-- "customers"), because a domain row copies its customer's name and ancestors, and a rename or move
-- of a customer must change them in the same transaction. The API reads through the view "domains".
CREATE TABLE domains_v1 (
    id                 uuid        PRIMARY KEY,
    customer_id        uuid        NOT NULL,
    -- customer_name is the name of the domain's customer, kept current by customer renames.
    customer_name      text        NOT NULL,
    -- customer_ancestors are the ancestors of the domain's customer (customers_v1.ancestors of that
    -- customer), so "the domain's customer is X or below X" is
    -- customer_id = X OR customer_ancestors @> ARRAY[X], without a join.
    customer_ancestors uuid[]      NOT NULL DEFAULT '{}',
    -- host is the lower-case punycode host, as settings->>'host'.
    host               text        NOT NULL,
    -- settings is the whole events.DomainSettings JSON; a domain.updated replaces its top-level
    -- sections (jsonb ||). It is written through jsonb, so it holds jsonb's canonical text (no
    -- duplicate keys, no \u0000), but stored as json: the CSV export reads every row of a
    -- customer, and Postgres serves the text of a json value about twice as fast as it renders a
    -- jsonb one (measured: 340 000 against 125 000-200 000 rows/s of 830-byte settings), which
    -- alone would keep the export below its 200 000 rows/s target.
    settings           json        NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    -- version is the aggregate version (the ETag); last_seq the stream sequence of its last event.
    version            bigint      NOT NULL,
    last_seq           bigint      NOT NULL
);

-- Hosts are unique across the system, but the log enforces that (host reservations), not this
-- table: a projection must never fail on an order of events that is valid in the log. A plain
-- index finds a host.
CREATE INDEX domains_v1_host ON domains_v1 (host);
-- A customer's domains by host (keyset pagination both ways, and the export's order) and by
-- creation date. The host key is compared byte-wise (COLLATE "C"), whatever the database's locale:
-- hosts are ASCII, and the export's order must not depend on the server.
CREATE INDEX domains_v1_customer_host_id ON domains_v1 (customer_id, lower(host) COLLATE "C", id);
CREATE INDEX domains_v1_customer_created_at_id ON domains_v1 (customer_id, created_at, id);
-- Scope checks and customer moves.
CREATE INDEX domains_v1_customer_ancestors ON domains_v1 USING gin (customer_ancestors);
-- Case-insensitive substring search of the host, with a small pending list (see
-- 0004_trigram_pending_list.sql).
CREATE INDEX domains_v1_host_trgm ON domains_v1 USING gin (lower(host) gin_trgm_ops) WITH (gin_pending_list_limit = 256);

CREATE VIEW domains AS
    SELECT id, customer_id, customer_name, customer_ancestors, host, settings,
           created_at, updated_at, version, last_seq
    FROM domains_v1;
