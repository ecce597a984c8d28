-- projection_expect_rows fails with SQLSTATE CM002 and p_message unless p_rows = p_want. A reducer
-- wraps a statement that must change exactly one row (an update of a customer, user or domain the
-- read model must hold; an insert that needs the row of the owning customer) as
--   WITH changed AS (<statement> RETURNING 1)
--   SELECT projection_expect_rows((SELECT count(*) FROM changed), 1, '<what is wrong>')
-- so that the check fails on the server. A check in the client would come too late in the
-- one-round-trip batch (see applier.fastAttempt): that batch runs as one implicit transaction,
-- which commits when the server reaches its end, whatever the client thinks of the results; the
-- event would be skipped instead of parked.
CREATE FUNCTION projection_expect_rows(p_rows bigint, p_want bigint, p_message text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_rows <> p_want THEN
        RAISE EXCEPTION USING ERRCODE = 'CM002', MESSAGE = p_message;
    END IF;
END
$$;
