-- Timers intaked asks deadlined to keep (docs/intake.md "Timers"): the art. 32 notice duty of
-- an application received without a decision, the 容缺 supply deadline, appointment no-shows.
-- A change that needs a timer writes a command row in its own transaction (the outbox idea
-- applied to requests), so a committed change always gets its timer and a rolled-back one
-- never does; the sender (timer_commands.c) sends each row until deadlined acknowledges it,
-- also after a restart.
CREATE TABLE timer_commands (
    timer_key   text PRIMARY KEY CHECK (timer_key <> '' AND octet_length(timer_key) <= 200),
    case_no     text    NOT NULL DEFAULT '',
    kind        text    NOT NULL,
    centre_id   text    NOT NULL DEFAULT '',
    -- absolute (due_at_us > 0) or relative: start_at_us + amount unit under the calendar
    due_at_us   bigint  NOT NULL DEFAULT 0,
    start_at_us bigint  NOT NULL DEFAULT 0,
    amount      integer NOT NULL DEFAULT 0,
    unit        text    NOT NULL DEFAULT '',
    -- what deadlined must end up holding: the timer scheduled, or cancelled
    op          text    NOT NULL CHECK (op IN ('schedule', 'cancel')),
    acked       boolean NOT NULL DEFAULT false,
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text    NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (due_at_us > 0 OR (start_at_us > 0 AND amount > 0 AND unit <> ''))
);
CREATE INDEX timer_commands_case ON timer_commands (case_no);
CREATE INDEX timer_commands_unacked ON timer_commands (updated_at) WHERE NOT acked;

-- 收件 only (ReceiveApplication.decide_later): state 1 已接件 until the decision or the lapse
-- of the art. 32 duty.
ALTER TABLE cases DROP CONSTRAINT cases_outcome_check;
ALTER TABLE cases ADD CONSTRAINT cases_outcome_check
    CHECK (outcome IN ('accepted', 'decided_on_spot', 'notice', 'rongque', 'not_accepted',
                       'received'));
