-- The Audit Log filters by actor email too (the page's "Performed By User"), case-insensitively.
CREATE INDEX audit_v1_actor_email_time_seq ON audit_v1 (lower(actor_email), time, seq);
