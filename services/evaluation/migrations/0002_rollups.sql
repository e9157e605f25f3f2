-- Ratings grow what is rated and how (DOMAIN.md §6), and incremental roll-ups so that no
-- report scans raw ratings (issue 6).

-- What is rated beyond case/item/department/centre, and the indicator scores, indexed as
-- indicator_t (indicator_sets.h: overall, efficiency, level, attitude, guide_accuracy,
-- convenience, usability; 0 = not scored). `excluded` is set by an upheld appeal or an
-- invalidation: the rating is kept but leaves every figure (DOMAIN.md §6).
ALTER TABLE ratings
    ADD COLUMN indicator_set   text     NOT NULL DEFAULT 'offline.v1',
    ADD COLUMN window_id       text     NOT NULL DEFAULT '',
    ADD COLUMN staff_id        text     NOT NULL DEFAULT '',
    ADD COLUMN level           text     NOT NULL DEFAULT ''
        CHECK (level IN ('', 'county', 'township', 'village')),
    ADD COLUMN anonymous       boolean  NOT NULL DEFAULT false,
    ADD COLUMN scores          smallint[] NOT NULL DEFAULT '{0,0,0,0,0,0,0}'
        CHECK (cardinality(scores) = 7),
    ADD COLUMN excluded        boolean  NOT NULL DEFAULT false,
    ADD COLUMN excluded_reason text     NOT NULL DEFAULT '';

-- One row per slice: a dimension value in a period. dimension is one of all (key ''),
-- department, item, window, staff, channel, centre, level; period is day, month, quarter,
-- year, period_start its first day in China time. Counters as rating_tally_t
-- (rating_tally.h): updated in the rating's own transaction by rollups.c.
CREATE TABLE rollups (
    dimension      text   NOT NULL,
    key            text   NOT NULL,
    period         text   NOT NULL CHECK (period IN ('day', 'month', 'quarter', 'year')),
    period_start   date   NOT NULL,
    total          bigint NOT NULL DEFAULT 0,
    excluded       bigint NOT NULL DEFAULT 0,
    active         bigint NOT NULL DEFAULT 0,
    defaults       bigint NOT NULL DEFAULT 0,
    good           bigint NOT NULL DEFAULT 0,
    bad            bigint NOT NULL DEFAULT 0,
    g1 bigint NOT NULL DEFAULT 0, g2 bigint NOT NULL DEFAULT 0, g3 bigint NOT NULL DEFAULT 0,
    g4 bigint NOT NULL DEFAULT 0, g5 bigint NOT NULL DEFAULT 0,
    sum_overall bigint NOT NULL DEFAULT 0,        n_overall bigint NOT NULL DEFAULT 0,
    sum_efficiency bigint NOT NULL DEFAULT 0,     n_efficiency bigint NOT NULL DEFAULT 0,
    sum_level bigint NOT NULL DEFAULT 0,          n_level bigint NOT NULL DEFAULT 0,
    sum_attitude bigint NOT NULL DEFAULT 0,       n_attitude bigint NOT NULL DEFAULT 0,
    sum_guide_accuracy bigint NOT NULL DEFAULT 0, n_guide_accuracy bigint NOT NULL DEFAULT 0,
    sum_convenience bigint NOT NULL DEFAULT 0,    n_convenience bigint NOT NULL DEFAULT 0,
    sum_usability bigint NOT NULL DEFAULT 0,      n_usability bigint NOT NULL DEFAULT 0,
    rectified      bigint NOT NULL DEFAULT 0,
    revisited      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (dimension, key, period, period_start)
);
-- Reports read one dimension in one kind of period over a range of periods.
CREATE INDEX rollups_report ON rollups (dimension, period, period_start, key);
