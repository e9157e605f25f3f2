-- deadlined's schema: the time limit of each case (限时办结, DOMAIN.md §5).
-- Unqualified names: the service role connects with search_path = deadline.

-- One clock per case and scope. Scope 'case' is the case as a whole (行政许可法 art. 42, 82);
-- stage clocks (a stage can be late while the case is in time) get their own scope, and
-- suspensions (art. 45) and extensions will refer to clock_id.
CREATE TABLE clocks (
    clock_id        bigserial PRIMARY KEY,
    case_no         text    NOT NULL CHECK (case_no <> ''),
    scope           text    NOT NULL DEFAULT 'case',
    centre_id       text    NOT NULL DEFAULT '',
    item_code       text    NOT NULL DEFAULT '',
    department_code text    NOT NULL DEFAULT '',
    state           text    NOT NULL CHECK (state IN ('running', 'stopped', 'expired')),
    -- acceptance time; counting starts the next day (次日起算)
    started_at_us   bigint  NOT NULL,
    limit_value     integer NOT NULL CHECK (limit_value >= 0),
    unit            text    NOT NULL
        CHECK (unit IN ('working_days', 'natural_days', 'working_hours', 'natural_hours')),
    legal_limit     integer NOT NULL DEFAULT 0,
    -- computed once at the start from the calendar of the day; suspensions move it later
    due_at_us       bigint  NOT NULL,
    -- set when the red card was raised; kept when a late case is stopped afterwards
    red_at_us       bigint,
    stopped_at_us   bigint,
    source_event_id uuid    NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_no, scope)
);
-- The expiry scan reads only running clocks in due order.
CREATE INDEX clocks_running_due ON clocks (due_at_us) WHERE state = 'running';

-- Outcomes seen on case.decided. Kept apart from clocks because routing's case.decided can
-- be applied before intake's case.accepted (two sources, each replayed on its own): a clock
-- created after its case's outcome starts stopped.
CREATE TABLE case_outcomes (
    case_no       text   PRIMARY KEY,
    outcome       text   NOT NULL,
    decided_at_us bigint NOT NULL,
    event_id      uuid   NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
