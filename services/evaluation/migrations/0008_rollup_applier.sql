-- Roll-ups out of the rating's transaction (issue 6: ingest ≥ 20,000 ratings/s with durable
-- commits). A batch of ratings now commits with its events and one row per rating here; the
-- roll-up applier (rollup_applier.c) folds committed rows into `rollups` in large passes,
-- deleting the rows it folded in the same transaction as its upsert, so each rating is folded
-- exactly once whatever crashes in between. Reports are "as of" the oldest row still here
-- (docs/evaluation.md). Ratings recorded before this migration are already in the roll-ups.
-- A row carries what the pass needs of its rating (a copy, so a pass reads nothing else):
-- the slices' keys, the grade and scores, and the flags an exclusion or a rectification step
-- sets here while the rating waits (rollups.c), instead of changing the roll-ups themselves.
CREATE TABLE rollup_pending (
    seq             bigserial PRIMARY KEY,
    rating_id       uuid     NOT NULL,
    rated_at_us     bigint   NOT NULL,
    grade           smallint NOT NULL,
    is_default      boolean  NOT NULL DEFAULT false,
    scores          smallint[] NOT NULL,
    department_code text     NOT NULL,
    item_code       text     NOT NULL,
    window_id       text     NOT NULL,
    staff_id        text     NOT NULL,
    channel         text     NOT NULL,
    centre_id       text     NOT NULL,
    level           text     NOT NULL,
    excluded        boolean  NOT NULL DEFAULT false,
    rectified       boolean  NOT NULL DEFAULT false,
    revisited       boolean  NOT NULL DEFAULT false
);

-- The hot table keeps only the indexes its statements use: reports read roll-ups, never raw
-- ratings, so the (department, time) index served nothing and cost every insert.
DROP INDEX IF EXISTS ratings_department_time;
-- served_cases rows are never deleted and every path reads the case in the rating's own
-- transaction before inserting; the foreign key only added a row lock on the case per rating.
ALTER TABLE ratings DROP CONSTRAINT IF EXISTS ratings_case_no_fkey;
-- The same for the rows a rating writes beside it in its own transaction (a ticket for each bad
-- review, its first step, the automatic assessment record): each key check took a row lock on
-- the rating just inserted. Ratings and tickets are never deleted, and these rows are only
-- written from the rating (or ticket) row itself, in the same statement or transaction.
ALTER TABLE rectification_tickets DROP CONSTRAINT IF EXISTS rectification_tickets_ticket_id_fkey;
ALTER TABLE rectification_actions DROP CONSTRAINT IF EXISTS rectification_actions_ticket_id_fkey;
ALTER TABLE assessment_records DROP CONSTRAINT IF EXISTS assessment_records_rating_id_fkey;
-- Two events per rating (rating.recorded, rating.push_requested) made the outbox's event_id
-- index the costliest of this schema: a random UUID inserted at random into a growing index
-- twice per event (the insert and the relay's numbering update), four times per rating. Nothing
-- looks an event up by its id in the outbox (consumers dedupe by source and seq); the id stays
-- a v4 UUID from gen_random_uuid(), unique for every practical purpose without the index.
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_event_id_key;
