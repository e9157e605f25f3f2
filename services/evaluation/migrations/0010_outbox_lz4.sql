-- The provincial pushes of a batch of ratings travel as one rating.pushes_requested event
-- (provincial_push.c): about 800 bytes a rating, a megabyte for a batch of 1,300. Stored with
-- the default pglz, compressing that one payload cost 6 µs of PostgreSQL's CPU per rating (the
-- outbox insert went from 10 to 15 µs a row in the ingest benchmark); lz4 compresses it ten
-- times faster. Only new rows are compressed this way; old ones read as before.
ALTER TABLE outbox ALTER COLUMN payload SET COMPRESSION lz4;
