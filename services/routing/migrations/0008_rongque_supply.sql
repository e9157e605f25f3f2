-- 容缺受理 (DOMAIN.md §3, issue 4): "the decision is issued only after all materials are in"
-- (outcome state 12 办结（容缺通过）). routing keeps its own copy of what intake tells it about a
-- case accepted under 容缺: case.accepted (rongque) opens the row, case.materials_supplied
-- completes it, case.terminated (the supply deadline lapsed) closes it. When every stage
-- approves while the materials are still out, the approval waits here (outcome
-- awaiting_materials, with the approving task, who and when) and case.decided 12 follows the
-- supply; a supply that came first lets the approval decide 12 at once.
CREATE TABLE case_supply (
    case_no        text PRIMARY KEY CHECK (case_no <> ''),
    centre_id      text NOT NULL DEFAULT '',
    opened_at      timestamptz NOT NULL,
    supplied_at    timestamptz,
    terminated_at  timestamptz,
    outcome        text NOT NULL DEFAULT 'pending'
                       CHECK (outcome IN ('pending', 'awaiting_materials',
                                          'approved_after_supply', 'refused', 'terminated')),
    approved_at    timestamptz,          -- every stage approved (the decision waits or is made)
    task_id        uuid REFERENCES tasks (task_id),  -- the approving task
    approved_by    text,
    comment        text NOT NULL DEFAULT '',
    decided_at     timestamptz,          -- case.decided emitted (12, or 13 for a refusal)
    CHECK ((outcome = 'awaiting_materials') <= (approved_at IS NOT NULL AND task_id IS NOT NULL)),
    CHECK ((outcome = 'approved_after_supply') <= (supplied_at IS NOT NULL AND decided_at IS NOT NULL))
);

-- A workflow case closed by intake's termination keeps that as its outcome.
ALTER TABLE case_workflows DROP CONSTRAINT case_workflows_outcome_check;
ALTER TABLE case_workflows ADD CONSTRAINT case_workflows_outcome_check
    CHECK (outcome IN ('pending', 'approved', 'approved_after_supply', 'awaiting_materials',
                       'refused', 'terminated'));
