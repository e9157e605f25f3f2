-- Approval tasks and their audit trail (DOMAIN.md §4).

-- One task = one stage of one case held by one member of staff. The skeleton's workflow has
-- one stage, 审查决定 (review and decision); the workflow issue adds more stages per item.
-- docs/contract.md: the kill test counts rows per case_no, and a case's first task is unique.
CREATE TABLE tasks (
    task_id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_no          text NOT NULL CHECK (case_no <> ''),
    centre_id        text NOT NULL DEFAULT '',
    item_code        text NOT NULL,
    department_code  text NOT NULL REFERENCES departments (code),
    assignee         text NOT NULL REFERENCES staff (staff_id),
    stage            text NOT NULL CHECK (stage <> ''),
    state            text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done')),
    decision         text CHECK (decision IN ('approve', 'refuse')),
    comment          text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    decided_at       timestamptz,
    decided_by       text,
    UNIQUE (case_no, stage),
    -- A task is done exactly when its decision, time and decider are recorded.
    CHECK ((state = 'done') = (decision IS NOT NULL AND decided_at IS NOT NULL AND decided_by IS NOT NULL)),
    -- 行政许可法 art. 38: a refusal states its reasons.
    CHECK (decision IS DISTINCT FROM 'refuse' OR comment <> '')
);
CREATE INDEX tasks_by_assignee ON tasks (assignee, state, created_at, task_id);
CREATE INDEX tasks_by_state ON tasks (state, created_at, task_id);

-- Every action on a task, append-only (DOMAIN §4): who, on whose behalf, when, what, why.
CREATE TABLE audit_trail (
    entry_id      bigserial PRIMARY KEY,
    at            timestamptz NOT NULL,
    actor         text NOT NULL,              -- staff id, or the daemon for automatic steps
    on_behalf_of  text NOT NULL DEFAULT '',   -- the A holder a B holder acted for (A/B posts)
    action        text NOT NULL,              -- task.created, task.decided
    task_id       uuid NOT NULL REFERENCES tasks (task_id),
    case_no       text NOT NULL,
    detail        text NOT NULL DEFAULT ''
);
CREATE INDEX audit_trail_by_case ON audit_trail (case_no, entry_id);

CREATE FUNCTION audit_trail_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_trail is append-only: % refused', TG_OP;
END
$$;
CREATE TRIGGER audit_trail_append_only BEFORE UPDATE OR DELETE ON audit_trail
    FOR EACH STATEMENT EXECUTE FUNCTION audit_trail_append_only();
