-- Applications and cases (DOMAIN.md §3).

-- Times cross the wire as microseconds of system time (test-clock aware: the test clock lives
-- in the daemons, so SQL never uses now() for domain times). Exact both ways: µs since 1970
-- fit a double's 53 bits, and extract() returns numeric since PostgreSQL 14.
CREATE FUNCTION us_to_ts(us bigint) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN 'epoch'::timestamptz + us * interval '1 microsecond';
CREATE FUNCTION ts_to_us(ts timestamptz) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (extract(epoch FROM ts) * 1000000)::bigint;

-- The national case-state codes, kept in the data so that reports and integrators read the
-- same names (intake_case_state_name holds the same table for replies; a unit test compares).
CREATE TABLE case_states (
    code  smallint PRIMARY KEY CHECK (code BETWEEN 1 AND 15),
    name  text NOT NULL UNIQUE
);
INSERT INTO case_states (code, name) VALUES
    (1, '已接件'), (2, '已撤件'), (3, '已受理'), (4, '不受理'), (5, '不予受理'),
    (6, '补正开始'), (7, '补正结束'), (8, '部门开始办理'), (9, '特别程序开始'),
    (10, '特别程序结束'), (11, '办结（通过）'), (12, '办结（容缺通过）'), (13, '办结（不通过）'),
    (14, '撤回'), (15, '撤销');

-- One row per case. The case number is unique and immutable (DOMAIN §3); a provincial
-- number, when the province assigns one, is kept beside it.
CREATE TABLE cases (
    case_no             text     PRIMARY KEY CHECK (case_no ~ '^[0-9]{19,40}$'),
    provincial_case_no  text     UNIQUE,
    state               smallint NOT NULL REFERENCES case_states (code),
    impl_code           text     NOT NULL,
    item_version        integer  NOT NULL,
    applicant_name      text     NOT NULL CHECK (applicant_name <> ''),
    applicant_id_type   text     NOT NULL CHECK (applicant_id_type IN ('resident_id', 'uscc')),
    applicant_id_number text     NOT NULL CHECK (applicant_id_number ~ '^[0-9A-Z]{18}$'),
    applicant_phone     text     NOT NULL CHECK (applicant_phone <> ''),
    applicant_email     text     NOT NULL DEFAULT '',
    channel             text     NOT NULL CHECK (channel IN ('window', 'online', 'township', 'kiosk', 'cross_region')),
    centre_id           text     NOT NULL CHECK (centre_id ~ '^[0-9]{12}$'), -- 收件地: the receiving centre
    received_at         timestamptz NOT NULL,  -- 收件: when the materials were handed in
    accepted_at         timestamptz,           -- 受理: starts the clock (DOMAIN §5)
    decided_at          timestamptz,           -- 办结
    updated_at          timestamptz NOT NULL,
    FOREIGN KEY (impl_code, item_version) REFERENCES items (impl_code, version),
    CHECK (accepted_at IS NULL OR accepted_at >= received_at),
    CHECK ((state IN (11, 12, 13)) = (decided_at IS NOT NULL))
);
CREATE INDEX cases_by_applicant ON cases (applicant_id_number);
CREATE INDEX cases_by_item ON cases (impl_code, item_version);

-- The materials handed in with the application (what a one-time notice or a 容缺 supply
-- list is computed against later).
CREATE TABLE case_materials (
    case_no        text NOT NULL REFERENCES cases (case_no),
    material_code  text NOT NULL,
    PRIMARY KEY (case_no, material_code)
);

-- The case-number counter: the last serial issued per county code and local day. Serials are
-- taken inside the transaction that inserts the case (INSERT … ON CONFLICT DO UPDATE …
-- RETURNING locks the row until commit), so a rolled-back application gives its serial back
-- and the committed numbers of a day are gapless. Keyed by the code the number starts with,
-- not by the receiving centre: the centre is not part of the number, so a per-centre serial
-- would give two centres the same number on the same day.
CREATE TABLE case_counters (
    county_code  text    NOT NULL CHECK (county_code ~ '^[0-9]{6}$'),
    day          date    NOT NULL,
    last_serial  integer NOT NULL CHECK (last_serial >= 1),
    PRIMARY KEY (county_code, day)
);
