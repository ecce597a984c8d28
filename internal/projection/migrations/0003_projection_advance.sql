-- projection_advance moves a projection's checkpoint from p_from to p_to, or fails with SQLSTATE
-- CM001 when the checkpoint is no longer p_from (another projector got there first). A projector
-- sends it first in the one-round-trip batch that also writes the rows of the events in between,
-- so that batch commits only if nobody applied those events before.
CREATE FUNCTION projection_advance(p_name text, p_from bigint, p_to bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO projection_checkpoints (name) VALUES (p_name) ON CONFLICT DO NOTHING;
    UPDATE projection_checkpoints SET last_seq = p_to, updated_at = now()
     WHERE name = p_name AND last_seq = p_from;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'projection % checkpoint is no longer %', p_name, p_from USING ERRCODE = 'CM001';
    END IF;
END
$$;
