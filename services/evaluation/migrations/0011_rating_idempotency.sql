-- evaluation.rate's idempotency key kept on the rating it made (issue 6: ingest ≥ 20,000
-- ratings/s). The idempotency table's row per rating (its key, method, request hash and the
-- whole reply), the advisory lock per key taken to write it and the hex bodies sent to hash it
-- cost about 12 µs of PostgreSQL per rating: the key and the request's hash now go into the
-- rating's own row, a repeat is answered from the rating (the reply is rebuilt from it, byte for
-- byte the first), and the unique index makes two instances racing with one key meet here.
-- Keys written before this migration stay in the idempotency table, which the batch still reads
-- (also for keys other methods used). The single path (ratings.c) still uses the table.
ALTER TABLE ratings ADD COLUMN idem_key text, ADD COLUMN request_hash bytea;
-- Not partial: the planner takes a column's uniqueness from a plain unique index only; with the
-- partial one and no statistics yet it costed a batch's key lookup as reading the whole table.
CREATE UNIQUE INDEX ratings_idem_key ON ratings (idem_key);
