-- Bookkeeping shared by every projection: where each one stands in the event stream, and the
-- events it could not apply.

-- The checkpoint of a projection is the stream sequence of the last event it has taken into
-- account. It is written in the same transaction as the projection's rows, so it is the source of
-- truth for where a projector resumes.
CREATE TABLE projection_checkpoints (
    name       text        PRIMARY KEY,
    last_seq   bigint      NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A poison event (undecodable data, an unknown type on a subject the projection reads, or an
-- apply error that retrying cannot fix) is parked here, in the same transaction that moves the
-- checkpoint past it, so it is never silently skipped.
CREATE TABLE projection_parked (
    projection text        NOT NULL,
    seq        bigint      NOT NULL,
    subject    text        NOT NULL,
    event_type text        NOT NULL DEFAULT '',
    error      text        NOT NULL,
    data       bytea       NOT NULL,
    parked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, seq)
);
