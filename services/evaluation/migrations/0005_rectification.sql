-- Bad-review rectification tickets and appeals (DOMAIN.md §6, issue 6): every grade 1–2 that a
-- rater made (not a default) opens one ticket in the rating's transaction; the ticket id is the
-- rating id (one ticket per bad review). The state machine is rectification.c.

-- Whether the rating's ticket reached rectified / revisited: the roll-ups count them
-- (rectification and revisit rates), and a rebuild recomputes them from these flags.
ALTER TABLE ratings
    ADD COLUMN rectified boolean NOT NULL DEFAULT false,
    ADD COLUMN revisited boolean NOT NULL DEFAULT false;

CREATE TABLE rectification_tickets (
    ticket_id        uuid PRIMARY KEY REFERENCES ratings (rating_id),
    case_no          text    NOT NULL,
    department_code  text    NOT NULL DEFAULT '',
    centre_id        text    NOT NULL DEFAULT '',
    staff_id         text    NOT NULL DEFAULT '',
    grade            smallint NOT NULL CHECK (grade BETWEEN 1 AND 2),
    anonymous        boolean NOT NULL DEFAULT false,
    state            text    NOT NULL CHECK (state IN ('open', 'verified', 'classified',
                         'rectified', 'rater_told', 'revisited', 'closed', 'appealed',
                         'appeal_upheld')),
    classification   text    NOT NULL DEFAULT ''
        CHECK (classification IN ('', 'fix_now', 'fix_by_deadline', 'explain')),
    opened_at_us     bigint  NOT NULL,
    -- the period asked of deadlined (evaluation.rectify_working_days when opened)
    rectify_working_days integer NOT NULL DEFAULT 5,
    -- set by the rectification_due timer when it fires before the ticket is rectified
    overdue          boolean NOT NULL DEFAULT false,
    overdue_at_us    bigint  NOT NULL DEFAULT 0,
    verify_note      text    NOT NULL DEFAULT '',
    rectify_note     text    NOT NULL DEFAULT '',
    rectified_at_us  bigint  NOT NULL DEFAULT 0,
    rater_told_at_us bigint  NOT NULL DEFAULT 0,
    revisit_grade    smallint NOT NULL DEFAULT 0 CHECK (revisit_grade BETWEEN 0 AND 5),
    revisit_note     text    NOT NULL DEFAULT '',
    closed_at_us     bigint  NOT NULL DEFAULT 0,
    appeal_reason    text    NOT NULL DEFAULT ''
        CHECK (appeal_reason IN ('', 'mistaken', 'malicious')),
    appeal_note      text    NOT NULL DEFAULT '',
    appeal_by        text    NOT NULL DEFAULT '',
    appeal_from      text    NOT NULL DEFAULT '',
    appeal_decision  text    NOT NULL DEFAULT ''
        CHECK (appeal_decision IN ('', 'upheld', 'rejected')),
    appeal_decided_by text   NOT NULL DEFAULT '',
    appeal_decision_note text NOT NULL DEFAULT '',
    updated_at_us    bigint  NOT NULL,
    version          integer NOT NULL DEFAULT 1
);
CREATE INDEX rectification_tickets_open ON rectification_tickets (department_code, state)
    WHERE state NOT IN ('closed', 'appeal_upheld');
CREATE INDEX rectification_tickets_case ON rectification_tickets (case_no);

-- Every step of every ticket: who, when, what, why (append-only; DOMAIN.md §4 audit idea).
CREATE TABLE rectification_actions (
    ticket_id  uuid   NOT NULL REFERENCES rectification_tickets (ticket_id),
    version    integer NOT NULL,
    action     text   NOT NULL,
    actor      text   NOT NULL DEFAULT '',
    at_us      bigint NOT NULL,
    from_state text   NOT NULL DEFAULT '',
    to_state   text   NOT NULL,
    note       text   NOT NULL DEFAULT '',
    PRIMARY KEY (ticket_id, version)
);

-- Who may act on tickets (rectification.h): handler (of one department), supervisor, reviewer
-- (appeals), administrator (keeps this table). Written by evaluation.put_staff_roles.
CREATE TABLE staff_roles (
    staff_id        text PRIMARY KEY CHECK (staff_id <> '' AND octet_length(staff_id) <= 64),
    role            text NOT NULL CHECK (role IN ('handler', 'supervisor', 'reviewer',
                        'administrator', 'none')),
    department_code text NOT NULL DEFAULT '',
    updated_by      text NOT NULL DEFAULT '',
    updated_at_us   bigint NOT NULL
);

-- Timers with a relative period (deadlined computes the due time on its calendar: the
-- rectification deadline is 5 *working* days): due_at_us 0 and start/amount/unit set.
-- due_at_us is filled from deadlined's answer once acknowledged.
ALTER TABLE timer_commands
    ADD COLUMN start_at_us bigint  NOT NULL DEFAULT 0,
    ADD COLUMN amount      integer NOT NULL DEFAULT 0,
    ADD COLUMN unit        text    NOT NULL DEFAULT '';
