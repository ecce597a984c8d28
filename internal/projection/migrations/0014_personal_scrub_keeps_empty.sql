-- personal_scrub (migration 0013) leaves a personal field that holds nothing — null or "" — as it
-- is: there was nothing to erase, no key sealed it (events.MapPersonal seals no empty value), and
-- the history shows it empty after the erasure too. Only a value is replaced by the marker.
CREATE OR REPLACE FUNCTION personal_scrub(j jsonb, keys text[], marker text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(j) <> 'object' THEN j ELSE
        j || coalesce((SELECT jsonb_object_agg(k, to_jsonb(marker)) FROM unnest(keys) k
                       WHERE j ? k AND j -> k NOT IN ('null'::jsonb, '""'::jsonb)), '{}'::jsonb)
          || CASE WHEN jsonb_typeof(j -> 'personal') = 'object' THEN jsonb_build_object('personal',
                 (j -> 'personal') || coalesce((SELECT jsonb_object_agg(k, to_jsonb(marker)) FROM unnest(keys) k
                                               WHERE (j -> 'personal') ? k
                                                 AND (j -> 'personal') -> k NOT IN ('null'::jsonb, '""'::jsonb)), '{}'::jsonb))
             ELSE '{}'::jsonb END
    END
$$;
