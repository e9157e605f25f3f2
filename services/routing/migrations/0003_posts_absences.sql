-- A/B posts, absences, and what tasks need for them (DOMAIN.md §4, issue 4).

-- Roles gain the department head (部门负责人), who alone grants extensions (art. 42). A
-- member of staff may be named the delegate of their department's chief representative.
ALTER TABLE staff DROP CONSTRAINT staff_role_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check
    CHECK (role IN ('window_clerk', 'approver', 'chief_representative', 'department_head',
                    'supervisor', 'administrator'));
ALTER TABLE staff ADD COLUMN chief_delegate boolean NOT NULL DEFAULT false;

-- A post (岗位) of a department: an A holder (主岗) and a B holder (协岗), both of the
-- department. The default post receives the department's new work; when a department has
-- none, department_approvers (0001) still applies.
CREATE TABLE posts (
    post_code        text PRIMARY KEY CHECK (post_code ~ '^[A-Za-z0-9._-]{1,64}$'),
    department_code  text NOT NULL REFERENCES departments (code),
    name             text NOT NULL CHECK (name <> ''),
    a_holder         text NOT NULL,
    b_holder         text,
    is_default       boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (a_holder, department_code) REFERENCES staff (staff_id, department_code),
    FOREIGN KEY (b_holder, department_code) REFERENCES staff (staff_id, department_code),
    CHECK (b_holder IS DISTINCT FROM a_holder)
);
CREATE UNIQUE INDEX posts_one_default ON posts (department_code) WHERE is_default;

-- Leave, training, business trip: [start_at, end_at), recorded ahead of time or at once.
-- overridden_by: the supervisor who allowed an absence leaving a post without A and B.
CREATE TABLE absences (
    absence_id     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    staff_id       text NOT NULL REFERENCES staff (staff_id),
    kind           text NOT NULL CHECK (kind IN ('leave', 'training', 'trip')),
    start_at       timestamptz NOT NULL,
    end_at         timestamptz NOT NULL,
    recorded_by    text NOT NULL,
    overridden_by  text,
    reason         text NOT NULL DEFAULT '',
    recorded_at    timestamptz NOT NULL,
    CHECK (end_at > start_at)
);
CREATE INDEX absences_by_staff ON absences (staff_id, end_at, start_at);

-- Tasks: the post they belong to, whose behalf the holder acts on, the priority lane and
-- the due time (work_order.h), and the states of special procedures and extensions.
ALTER TABLE tasks ADD COLUMN post_code text REFERENCES posts (post_code);
ALTER TABLE tasks ADD COLUMN on_behalf_of text NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN lane_rank smallint NOT NULL DEFAULT 0 CHECK (lane_rank BETWEEN 0 AND 2);
ALTER TABLE tasks ADD COLUMN due_at timestamptz;
-- "My tasks" in work order: green, love, earliest due (unknown last), created, id.
CREATE INDEX tasks_work_list ON tasks (assignee, state, lane_rank DESC, due_at NULLS LAST,
                                       created_at, task_id);
CREATE INDEX tasks_post_open ON tasks (post_code) WHERE state = 'open';

-- The audit trail records the state before and after each action (issue 4).
ALTER TABLE audit_trail ADD COLUMN before text NOT NULL DEFAULT '';
ALTER TABLE audit_trail ADD COLUMN after text NOT NULL DEFAULT '';
