-- Timers evaluationd asks deadlined to keep (issue 6: the rating invitation after 3 days, the
-- default grade after 7; later the rectification deadline). A command row is written in the
-- same transaction as the change that needs it (the case became rateable, a rating arrived),
-- so a committed change always gets its timer and a rolled-back one never does; the sender
-- (timer_commands.c) sends each row until deadlined acknowledges it, also after a restart.
CREATE TABLE timer_commands (
    timer_key  text PRIMARY KEY CHECK (timer_key <> '' AND octet_length(timer_key) <= 200),
    case_no    text   NOT NULL,
    kind       text   NOT NULL,
    centre_id  text   NOT NULL DEFAULT '',
    due_at_us  bigint NOT NULL,
    -- what deadlined must end up holding: the timer scheduled, or cancelled
    op         text   NOT NULL CHECK (op IN ('schedule', 'cancel')),
    acked      boolean NOT NULL DEFAULT false,
    attempts   integer NOT NULL DEFAULT 0,
    last_error text    NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX timer_commands_case ON timer_commands (case_no);
CREATE INDEX timer_commands_unacked ON timer_commands (updated_at) WHERE NOT acked;
