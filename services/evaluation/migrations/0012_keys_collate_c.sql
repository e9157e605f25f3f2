-- The text keys every rating looks up or inserts are compared byte by byte (COLLATE "C")
-- instead of by the database's locale (issue 6: ingest ≥ 20,000 ratings/s). Under a libc locale
-- every btree comparison of two keys copied both to terminate them and called strcoll: with the
-- case number and idempotency key indexes of the ratings, the served cases' primary key and the
-- roll-ups' slice key (upserted and sorted every pass), that was about a tenth of the backend's
-- time in the ingest benchmark. The order does not change where it shows: C.UTF-8 collates by
-- code point, which is UTF-8's byte order (report pages are ordered by key). The tables are
-- not rewritten, their indexes are rebuilt.
ALTER TABLE served_cases ALTER COLUMN case_no TYPE text COLLATE "C";
ALTER TABLE ratings ALTER COLUMN case_no TYPE text COLLATE "C",
                    ALTER COLUMN idem_key TYPE text COLLATE "C";
ALTER TABLE rollups ALTER COLUMN dimension TYPE text COLLATE "C",
                    ALTER COLUMN key TYPE text COLLATE "C",
                    ALTER COLUMN period TYPE text COLLATE "C";
