-- The exports read model: one row per export of a customer's domains, for the customer's export
-- list and the expiry sweep. Status is what the log says; a succeeded export past expires_at reads
-- as expired to clients even before the sweep records it.
CREATE TABLE exports_v1 (
    id           uuid        PRIMARY KEY,
    customer_id  uuid        NOT NULL,
    requested_by text        NOT NULL,
    requested_at timestamptz NOT NULL,
    status       text        NOT NULL,
    started_at   timestamptz,
    finished_at  timestamptz,
    attempts     int         NOT NULL DEFAULT 0,
    rows         int,
    bytes        bigint,
    sha256       text,
    object_key   text,
    filename     text,
    expires_at   timestamptz,
    reason       text,
    downloads    int         NOT NULL DEFAULT 0,
    version      bigint      NOT NULL,
    last_seq     bigint      NOT NULL
);

CREATE INDEX exports_v1_customer ON exports_v1 (customer_id, requested_at DESC, id DESC);
CREATE INDEX exports_v1_expiry ON exports_v1 (expires_at) WHERE status = 'succeeded';

CREATE VIEW exports AS SELECT * FROM exports_v1;
