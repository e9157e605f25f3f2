-- Issue 5, second half: yellow thresholds per centre and item (DOMAIN.md §5: "configurable
-- per centre or item"), and the indexes the clock events and statistics read by.

-- An item's threshold overrides its centre's, which overrides the configured default
-- (yellow.days, yellow.hours, yellow.percent).
CREATE TABLE yellow_thresholds (
    scope      text    NOT NULL CHECK (scope IN ('centre', 'item')),
    key        text    NOT NULL CHECK (key <> '' AND length(key) <= 64),
    days       integer NOT NULL CHECK (days BETWEEN 0 AND 60),
    hours      integer NOT NULL CHECK (hours BETWEEN 0 AND 1000),
    percent    integer NOT NULL CHECK (percent BETWEEN 0 AND 100),
    set_by     text    NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);

-- Every clock of a case (case.suspended/resumed recompute them all).
CREATE INDEX clocks_case ON clocks (case_no);
-- At most one open suspension per case: intervals never overlap (working_days.h).
CREATE UNIQUE INDEX suspensions_one_open ON suspensions (case_no) WHERE to_us IS NULL;
