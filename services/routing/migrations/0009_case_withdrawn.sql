-- A case the applicant withdraws (撤回, DOMAIN.md §3: allowed before a decision) stops in
-- routing as a 容缺 lapse does: its open tasks are cancelled and the workflow keeps the
-- withdrawal as its outcome. A cancelled task says why it was closed.

-- Why a cancelled task was closed: case_withdrawn, case_terminated (intake closed the case),
-- stage_decided (its stage's result was known without it). '' for every other state.
ALTER TABLE tasks ADD COLUMN closed_reason text NOT NULL DEFAULT ''
    CHECK (closed_reason IN ('', 'case_withdrawn', 'case_terminated', 'stage_decided'));
-- Tasks cancelled before this migration: by a termination when the case's workflow (or
-- supply) says so, else by their stage's result.
UPDATE tasks t SET closed_reason = CASE
        WHEN EXISTS (SELECT 1 FROM case_workflows w WHERE w.case_no = t.case_no
                     AND w.outcome = 'terminated')
          OR EXISTS (SELECT 1 FROM case_supply s WHERE s.case_no = t.case_no
                     AND s.terminated_at IS NOT NULL) THEN 'case_terminated'
        ELSE 'stage_decided' END
    WHERE t.state = 'cancelled';

ALTER TABLE case_workflows DROP CONSTRAINT case_workflows_outcome_check;
ALTER TABLE case_workflows ADD CONSTRAINT case_workflows_outcome_check
    CHECK (outcome IN ('pending', 'approved', 'approved_after_supply', 'awaiting_materials',
                       'refused', 'terminated', 'withdrawn'));
-- case_supply.terminated_at now means "intake closed the case" (terminated or withdrawn);
-- the outcome says which.
ALTER TABLE case_supply DROP CONSTRAINT case_supply_outcome_check;
ALTER TABLE case_supply ADD CONSTRAINT case_supply_outcome_check
    CHECK (outcome IN ('pending', 'awaiting_materials', 'approved_after_supply', 'refused',
                       'terminated', 'withdrawn'));
