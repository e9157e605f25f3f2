-- The group commit's predicted batch (batch.c, docs/intake.md "Eighth pass"): a batch of
-- submits sent whole, in one round trip, with the case serials and the catalogue versions
-- intaked expects. Its statements check those expectations in the database and refuse the
-- transaction when one no longer holds (another instance took serials, an item was edited):
-- nothing is then written, and the batch runs again on the path that reads them first.
-- refused() is how a statement refuses: it raises serialization_failure (40001), the class a
-- transaction gets when what it assumed about concurrent work turned out false.
CREATE FUNCTION refused(reason text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION '%', reason USING ERRCODE = 'serialization_failure';
END
$$;
