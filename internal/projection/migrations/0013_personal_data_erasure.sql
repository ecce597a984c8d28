-- Erasure of personal data (crypto-shredding). The log keeps users' names, emails and remarks
-- sealed with their customer's key; the read model keeps them opened, so erasing a customer
-- (customer.erased, after its key was destroyed) must scrub the copies here too.
--
-- audit_actors learns each user's current customer, so that the erasure of a customer finds the
-- users whose email the audit rows of their actions copy.
ALTER TABLE audit_actors ADD COLUMN customer_id uuid;
CREATE INDEX audit_actors_customer_id ON audit_actors (customer_id);

-- personal_scrub returns j with the value of each of keys that j holds (at the top level, and in
-- its "personal" object: see events.UserUpdatedV1) replaced by marker. It is how the erasure
-- scrubs the event data an audit row copies.
CREATE FUNCTION personal_scrub(j jsonb, keys text[], marker text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(j) <> 'object' THEN j ELSE
        j || coalesce((SELECT jsonb_object_agg(k, to_jsonb(marker)) FROM unnest(keys) k WHERE j ? k), '{}'::jsonb)
          || CASE WHEN jsonb_typeof(j -> 'personal') = 'object' THEN jsonb_build_object('personal',
                 (j -> 'personal') || coalesce((SELECT jsonb_object_agg(k, to_jsonb(marker)) FROM unnest(keys) k
                                               WHERE (j -> 'personal') ? k), '{}'::jsonb))
             ELSE '{}'::jsonb END
    END
$$;
