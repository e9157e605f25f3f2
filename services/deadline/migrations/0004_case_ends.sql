-- A case that ends before a decision (DOMAIN.md §3: 撤回 withdrawal, the 容缺 supply deadline
-- lapsing) stops its clocks with the reason kept, and counts neither as decided nor as overdue.

-- Why a stopped clock stopped: decided (case.decided), stage_completed (stage.completed),
-- withdrawn (case.withdrawn), terminated (case.terminated). '' only while not stopped.
ALTER TABLE clocks ADD COLUMN stop_reason text NOT NULL DEFAULT ''
    CHECK (stop_reason IN ('', 'decided', 'stage_completed', 'withdrawn', 'terminated'));
-- Clocks stopped before this migration: the case clock and a stage clock stopped at the
-- decision's instant were stopped by it; any other stage clock by its stage completing.
UPDATE clocks c SET stop_reason = CASE
        WHEN c.scope = 'case' THEN 'decided'
        WHEN EXISTS (SELECT 1 FROM case_outcomes o WHERE o.case_no = c.case_no
                     AND o.decided_at_us = c.stopped_at_us) THEN 'decided'
        ELSE 'stage_completed' END
    WHERE c.state = 'stopped';

-- How the case ended: a decision, or intake's end before one. An end is remembered before the
-- clock exists (routing's stage.started can be applied after intake's case.withdrawn), so a
-- clock created afterwards starts stopped; it overrides a decision seen first (intake refuses
-- routing's decision on a case it has closed), never the other way round.
ALTER TABLE case_outcomes
    ADD COLUMN kind   text NOT NULL DEFAULT 'decided'
        CHECK (kind IN ('decided', 'withdrawn', 'terminated')),
    ADD COLUMN reason text NOT NULL DEFAULT '';
