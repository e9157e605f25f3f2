-- Issue 5: calendars, the general timer service, suspensions, extensions, stage clocks and
-- yellow/red cards (DOMAIN.md §5).

-- Calendar records as loaded (the JSON text, parsed again at start-up and on change). The
-- shipped years (services/deadline/calendars/) are inserted at start-up when absent; an
-- operator's load replaces a record. scope '' = national, else a centre's area code.
CREATE TABLE calendars (
    scope      text    NOT NULL DEFAULT '',
    year       integer NOT NULL CHECK (year BETWEEN 1900 AND 9999),
    body       text    NOT NULL,
    loaded_by  text    NOT NULL DEFAULT '',
    loaded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, year)
);
-- Bumped on every load so every deadlined instance notices and reloads.
CREATE SEQUENCE calendar_version;

-- The general timer service: a timer fires exactly once (state pending → fired in the
-- transaction that queues timer.fired), or is cancelled.
CREATE TABLE timers (
    timer_key    text    PRIMARY KEY CHECK (timer_key <> '' AND length(timer_key) <= 200),
    owner        text    NOT NULL CHECK (owner <> ''),
    kind         text    NOT NULL CHECK (kind <> ''),
    case_no      text    NOT NULL DEFAULT '',
    centre_id    text    NOT NULL DEFAULT '',
    due_at_us    bigint  NOT NULL,
    start_at_us  bigint  NOT NULL DEFAULT 0,
    amount       integer NOT NULL DEFAULT 0,
    unit         text    NOT NULL DEFAULT '',
    context      bytea   NOT NULL DEFAULT '',
    state        text    NOT NULL CHECK (state IN ('pending', 'fired', 'cancelled')),
    fired_at_us  bigint,
    calendar_missing boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX timers_pending_due ON timers (due_at_us) WHERE state = 'pending';

-- Clocks: suspended state, stage clocks (scope 'stage:<name>'), the legal limit beside the
-- promised one, extensions, and cards. next_fire_us is the next card instant of a running
-- clock (yellow, then red): the scan reads it in order.
ALTER TABLE clocks DROP CONSTRAINT clocks_state_check;
ALTER TABLE clocks ADD CONSTRAINT clocks_state_check
    CHECK (state IN ('running', 'suspended', 'stopped', 'expired'));
ALTER TABLE clocks
    ADD COLUMN stage            text    NOT NULL DEFAULT '',
    ADD COLUMN legal_due_at_us  bigint,
    ADD COLUMN extension_days   integer NOT NULL DEFAULT 0,
    ADD COLUMN joint_handling   boolean NOT NULL DEFAULT false,
    ADD COLUMN suspended_at_us  bigint,
    ADD COLUMN card             text    NOT NULL DEFAULT 'none'
        CHECK (card IN ('none', 'yellow', 'red')),
    ADD COLUMN yellow_at_us     bigint,
    ADD COLUMN yellow_raised_at_us bigint,
    ADD COLUMN next_fire_us     bigint,
    ADD COLUMN calendar_missing boolean NOT NULL DEFAULT false,
    ADD COLUMN used_working_days integer;
UPDATE clocks SET next_fire_us = due_at_us WHERE state = 'running';
DROP INDEX clocks_running_due;
CREATE INDEX clocks_next_fire ON clocks (next_fire_us) WHERE state = 'running';
CREATE INDEX clocks_stats ON clocks (scope, started_at_us);

-- Suspensions (art. 45): intervals that do not count. stage '' suspends the case (and the
-- stage running then); a named stage also its own clock. Kept even before the clock exists
-- (routing's and intake's events replay independently).
CREATE TABLE suspensions (
    case_no        text    NOT NULL,
    from_us        bigint  NOT NULL,
    to_us          bigint,
    kind           text    NOT NULL,
    stage          text    NOT NULL DEFAULT '',
    expected_days  integer NOT NULL DEFAULT 0,
    expected_unit  text    NOT NULL DEFAULT '',
    reason         text    NOT NULL DEFAULT '',
    task_id        text    NOT NULL DEFAULT '',
    event_id       uuid    NOT NULL,
    PRIMARY KEY (case_no, from_us)
);

-- Extensions (art. 42) with the recorded approval; a refused one is kept with the reason.
CREATE TABLE extensions (
    event_id        uuid    PRIMARY KEY,
    case_no         text    NOT NULL,
    extra_days      integer NOT NULL,
    joint_handling  boolean NOT NULL,
    approved_by     text    NOT NULL,
    reason          text    NOT NULL,
    approved_at_us  bigint  NOT NULL,
    applied         boolean NOT NULL,
    refusal         text    NOT NULL DEFAULT ''
);
CREATE INDEX extensions_case ON extensions (case_no);
