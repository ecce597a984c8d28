-- The audit read model: one row per event of a customer, a user, a domain or an export, for the
-- customer history (GET /v1/customers/{id}/history) and the Audit Log page (GET /v1/audit). It
-- belongs to the customers projection (same checkpoint): each row is written in the transaction
-- that applies its event, just before the event's own statements, so the names it copies (the
-- customer's, the domain's host, the actor's email) are those of the moment of the event. The
-- bookkeeping aggregates (reservations, hierarchies, members lists, the tree, export slots) are
-- internal and have no rows; the raw log (GET /v1/events) has every event.
CREATE TABLE audit_v1 (
    seq                bigint      PRIMARY KEY,
    event_id           text        NOT NULL,
    time               timestamptz NOT NULL,
    type               text        NOT NULL,
    -- action_type is the Audit Log's Action Type: Add, Edit, Delete or Download.
    action_type        text        NOT NULL,
    -- resource_type is customer, user, domain or export; resource_name its name, email or host at
    -- the time of the event.
    resource_type      text        NOT NULL,
    resource_id        uuid        NOT NULL,
    resource_name      text        NOT NULL,
    -- customer_id is the customer the resource belonged to at the time of the event (NULL when the
    -- read model did not know it); other_customer_id the customer a domain or user moved from.
    customer_id        uuid,
    other_customer_id  uuid,
    customer_name      text        NOT NULL,
    -- customer_ancestors are the customer's ancestors at the time of the event: the Audit Log's
    -- scope is where the customer stood when the event happened.
    customer_ancestors uuid[]      NOT NULL DEFAULT '{}',
    actor_type         text        NOT NULL,
    actor_id           uuid,
    -- actor_email is the acting user's email at the time of the event ('' for system actors).
    actor_email        text        NOT NULL,
    request_id         text        NOT NULL,
    aggregate_version  bigint      NOT NULL,
    -- action is the Audit Log's readable Action text.
    action             text        NOT NULL,
    -- change is the event's data, as stored (json, not jsonb: kept as written).
    change             json        NOT NULL
);

-- History of a customer, in stream order (and the customers domains or users moved away from).
CREATE INDEX audit_v1_customer_seq ON audit_v1 (customer_id, seq);
CREATE INDEX audit_v1_other_customer_seq ON audit_v1 (other_customer_id, seq) WHERE other_customer_id IS NOT NULL;
-- The Audit Log, newest first within a time window, optionally by actor.
CREATE INDEX audit_v1_time_seq ON audit_v1 (time, seq);
CREATE INDEX audit_v1_actor_time_seq ON audit_v1 (actor_id, time, seq);
-- Scope (a customer and its subtree).
CREATE INDEX audit_v1_customer_ancestors ON audit_v1 USING gin (customer_ancestors);
-- Free text over the action (which names the resources) and the actor's email.
CREATE INDEX audit_v1_text_trgm ON audit_v1 USING gin ((lower(action || ' ' || actor_email)) gin_trgm_ops)
    WITH (gin_pending_list_limit = 256);

-- The emails of every user that ever acted, kept after the user is deleted so its events still
-- say who performed them.
CREATE TABLE audit_actors (
    user_id uuid PRIMARY KEY,
    email   text NOT NULL
);

CREATE VIEW audit AS
    SELECT seq, event_id, time, type, action_type, resource_type, resource_id, resource_name,
           customer_id, other_customer_id, customer_name, customer_ancestors, actor_type, actor_id,
           actor_email, request_id, aggregate_version, action, change
    FROM audit_v1;
