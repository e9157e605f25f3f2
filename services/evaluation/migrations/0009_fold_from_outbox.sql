-- The roll-up applier folds from the outbox instead of a queue of its own (issue 6: ingest
-- ≥ 20,000 ratings/s with durable commits). Every rating of a batch already writes a
-- rating.recorded event, numbered gaplessly and in commit order in the rating's own
-- transaction (ow_relay_add_numbered): that stream is the queue. The applier keeps the last
-- seq it folded here and reads the events after it with their ratings, so a rating no longer
-- writes a rollup_pending row and a pass no longer deletes one — a third of the rows a rating
-- wrote (docs/evaluation.md "Benchmark").

-- Which ratings the applier folds: those of the batched path. The single path (the fallback of
-- a failed batch, the 7-day default) still folds its rating in its own transaction, and the
-- applier skips its event. Existing ratings are folded already: false, without a rewrite.
ALTER TABLE ratings ADD COLUMN applier_folds boolean NOT NULL DEFAULT false;

-- What the old queue still held is folded by the applier from its events from now on.
UPDATE ratings SET applier_folds = true
WHERE rating_id IN (SELECT rating_id FROM rollup_pending);

-- The last outbox seq the applier has folded: every rating.recorded event up to it is in the
-- roll-ups. It starts before the first event of a rating still queued (their events are
-- numbered: the batch numbers them at insert), or at the last seq assigned when none is; an
-- event numbered later has a greater seq. Events in between whose ratings are not the
-- applier's are skipped by the pass.
CREATE TABLE rollup_applier_state (
    one      boolean PRIMARY KEY DEFAULT true CHECK (one),
    last_seq bigint  NOT NULL
);
INSERT INTO rollup_applier_state (last_seq)
SELECT coalesce(
    (SELECT min(o.seq) - 1 FROM outbox o JOIN ratings r ON r.case_no = o.case_no
      WHERE o.type = 'rating.recorded' AND o.seq IS NOT NULL AND r.applier_folds),
    (SELECT last_seq FROM outbox_state));

DROP TABLE rollup_pending;
