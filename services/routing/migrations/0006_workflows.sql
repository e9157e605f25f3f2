-- Workflows per item and item version, parallel tasks per stage, and delivery of the result
-- (DOMAIN.md §4, issue 4).

-- A workflow: the stages of an item (item_version 0 = every version without its own), in
-- order. Replaced as a whole by routing.put_workflow; a case keeps the copy it started with
-- (case_stages), so redefining a workflow never changes a case already under way.
CREATE TABLE workflows (
    item_code     text NOT NULL CHECK (item_code <> ''),
    item_version  int  NOT NULL CHECK (item_version >= 0),
    defined_by    text NOT NULL,
    defined_at    timestamptz NOT NULL,
    PRIMARY KEY (item_code, item_version)
);

-- A stage: its name (unique in the workflow: tasks and the deadline's stage clocks are keyed
-- by it), its mode (single, all 会签, any 或签), its time limit, and whether its decision is
-- the department's final one (only the chief representative or the named delegate).
CREATE TABLE workflow_stages (
    item_code     text NOT NULL,
    item_version  int  NOT NULL,
    stage_no      int  NOT NULL CHECK (stage_no BETWEEN 1 AND 20),
    name          text NOT NULL CHECK (name <> ''),
    mode          text NOT NULL CHECK (mode IN ('single', 'all', 'any')),
    limit_days    int  NOT NULL CHECK (limit_days BETWEEN 0 AND 365),  -- 0: the default
    final_decision boolean NOT NULL DEFAULT false,
    PRIMARY KEY (item_code, item_version, stage_no),
    UNIQUE (item_code, item_version, name),
    FOREIGN KEY (item_code, item_version) REFERENCES workflows ON DELETE CASCADE
);

-- The departments of a stage (one task each), optionally through a named post.
CREATE TABLE workflow_stage_departments (
    item_code        text NOT NULL,
    item_version     int  NOT NULL,
    stage_no         int  NOT NULL,
    department_code  text NOT NULL REFERENCES departments (code),
    post_code        text REFERENCES posts (post_code),
    PRIMARY KEY (item_code, item_version, stage_no, department_code),
    FOREIGN KEY (item_code, item_version, stage_no) REFERENCES workflow_stages ON DELETE CASCADE
);

-- A case under a workflow: the copy of its stages, where it stands, and its outcome. Cases
-- without a workflow keep the skeleton's single task and have no row here.
CREATE TABLE case_workflows (
    case_no       text PRIMARY KEY,
    centre_id     text NOT NULL DEFAULT '',
    item_code     text NOT NULL,
    item_version  int  NOT NULL,
    current_stage int  NOT NULL,
    outcome       text NOT NULL DEFAULT 'pending'
                      CHECK (outcome IN ('pending', 'approved', 'approved_after_supply',
                                         'awaiting_materials', 'refused')),
    decided_at    timestamptz
);

CREATE TABLE case_stages (
    case_no         text NOT NULL REFERENCES case_workflows (case_no),
    stage_no        int  NOT NULL,
    name            text NOT NULL,
    mode            text NOT NULL CHECK (mode IN ('single', 'all', 'any')),
    limit_days      int  NOT NULL,
    final_decision  boolean NOT NULL,
    departments     text[] NOT NULL,
    posts           text[] NOT NULL,   -- '' = the department's default post / approver
    result          text NOT NULL DEFAULT 'pending'
                        CHECK (result IN ('pending', 'approved', 'refused')),
    started_at      timestamptz,
    completed_at    timestamptz,
    PRIMARY KEY (case_no, stage_no)
);

-- Parallel tasks (并联审批): one task per department of a stage. The skeleton's
-- UNIQUE (case_no, stage) becomes UNIQUE (case_no, stage, department_code); a single-
-- department case still has exactly one task at its first stage (docs/contract.md).
ALTER TABLE tasks DROP CONSTRAINT tasks_case_no_stage_key;
ALTER TABLE tasks ADD CONSTRAINT tasks_case_stage_department_key
    UNIQUE (case_no, stage, department_code);
ALTER TABLE tasks ADD COLUMN final_decision boolean NOT NULL DEFAULT false;

-- Issuing and delivering the result after approval (art. 44: within 10 days): pickup at the
-- unified output window or by post with its tracking number. The timer (deadlined's
-- deadline.schedule_timer, owner routing, kind delivery_10d) is asked for after commit and
-- marked once deadlined confirmed it; timer.fired marks an undelivered result overdue.
CREATE TABLE deliveries (
    case_no          text PRIMARY KEY,
    centre_id        text NOT NULL DEFAULT '',
    task_id          uuid NOT NULL REFERENCES tasks (task_id),  -- the deciding task
    approved_at      timestamptz NOT NULL,
    state            text NOT NULL DEFAULT 'awaiting'
                         CHECK (state IN ('awaiting', 'delivered', 'overdue')),
    method           text CHECK (method IN ('pickup', 'post')),
    tracking_no      text,
    delivered_at     timestamptz,
    delivered_by     text,
    overdue_at       timestamptz,
    timer_key        text NOT NULL,
    timer_scheduled  boolean NOT NULL DEFAULT false,
    CHECK ((delivered_at IS NULL) = (method IS NULL)),
    CHECK (method IS DISTINCT FROM 'post' OR coalesce(tracking_no, '') <> '')
);
CREATE INDEX deliveries_unscheduled ON deliveries (case_no) WHERE NOT timer_scheduled;
