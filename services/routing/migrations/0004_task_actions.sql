-- Decisions beyond approve/refuse (DOMAIN.md §4, issue 4): special procedures and returns for
-- correction (the clock stops, art. 45), extensions granted by a head (art. 42), transfer,
-- claim and release; and the audit trail moved out of routing's reach.

-- A task may wait in a special procedure or for a head's answer, be cancelled (its stage was
-- decided by another department: 会签 refusal, 或签 approval), or sit unheld in its post's
-- queue (released; claimed back by the post's A/B holder or the chief representative).
ALTER TABLE tasks DROP CONSTRAINT tasks_state_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_state_check
    CHECK (state IN ('open', 'suspended', 'extension_requested', 'done', 'cancelled'));
ALTER TABLE tasks ALTER COLUMN assignee DROP NOT NULL;

-- Special procedures (听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审) and returns for
-- correction: [started_at, ended_at) does not count (行政许可法 art. 45). One open at a time
-- per task.
CREATE TABLE suspensions (
    suspension_id  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    task_id        uuid NOT NULL REFERENCES tasks (task_id),
    case_no        text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('hearing', 'tender', 'auction', 'inspection',
                                                 'testing', 'quarantine', 'appraisal',
                                                 'expert_review', 'correction')),
    expected_days  int NOT NULL CHECK (expected_days BETWEEN 1 AND 365),
    expected_unit  text NOT NULL CHECK (expected_unit IN ('working_days', 'natural_days')),
    reason         text NOT NULL CHECK (reason <> ''),
    started_at     timestamptz NOT NULL,
    started_by     text NOT NULL,
    ended_at       timestamptz,
    ended_by       text,
    CHECK ((ended_at IS NULL) = (ended_by IS NULL))
);
CREATE UNIQUE INDEX suspensions_one_open ON suspensions (task_id) WHERE ended_at IS NULL;

-- Extensions: requested by whoever holds the task, granted or denied by a head of its
-- department (art. 42). Granted days of a case count against one ceiling (extension.h).
CREATE TABLE extensions (
    extension_id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    task_id             uuid NOT NULL REFERENCES tasks (task_id),
    case_no             text NOT NULL,
    extra_working_days  int NOT NULL CHECK (extra_working_days BETWEEN 1 AND 15),
    joint_handling      boolean NOT NULL,
    reason              text NOT NULL CHECK (reason <> ''),
    requested_by        text NOT NULL,
    requested_at        timestamptz NOT NULL,
    state               text NOT NULL DEFAULT 'requested'
                            CHECK (state IN ('requested', 'granted', 'denied')),
    decided_by          text,
    decided_at          timestamptz,
    CHECK ((state = 'requested') = (decided_by IS NULL AND decided_at IS NULL))
);
CREATE UNIQUE INDEX extensions_one_pending ON extensions (task_id) WHERE state = 'requested';
CREATE INDEX extensions_granted_by_case ON extensions (case_no) WHERE state = 'granted';

-- The audit trail, protected from routing's own role (issue 4): `owctl db init`
-- (common/ow_provision.c) creates <schema>_audit.audit_trail owned by a separate role that
-- grants this service INSERT and SELECT only. Where it exists, the entries written so far
-- move there and audit_trail becomes a view of it: INSERT passes through, UPDATE and DELETE
-- are refused by privilege (and by the table's append-only trigger even for a superuser).
-- Without it (a scratch schema of a unit test) the local append-only table stays.
DO $$
DECLARE
    target text := quote_ident(current_schema() || '_audit') || '.audit_trail';
BEGIN
    IF to_regclass(target) IS NULL OR NOT has_table_privilege(target, 'INSERT') THEN
        RETURN;
    END IF;
    EXECUTE format('INSERT INTO %s (at, actor, on_behalf_of, action, task_id, case_no, detail,'
                   ' before, after) SELECT at, actor, on_behalf_of, action, task_id, case_no,'
                   ' detail, before, after FROM audit_trail ORDER BY entry_id', target);
    DROP TABLE audit_trail;
    DROP FUNCTION audit_trail_append_only();
    EXECUTE format('CREATE VIEW audit_trail AS SELECT entry_id, at, actor, on_behalf_of, action,'
                   ' task_id, case_no, detail, before, after FROM %s', target);
END
$$;
