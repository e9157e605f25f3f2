-- Who decides (DOMAIN.md §4): departments, their staff, and who takes a department's work.

-- Times cross the wire as microseconds of system time (test-clock aware: the test clock lives
-- in the daemons, so SQL never uses now() for domain times). Exact both ways: µs since 1970
-- fit a double's 53 bits, and extract() returns numeric since PostgreSQL 14.
CREATE FUNCTION us_to_ts(us bigint) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN 'epoch'::timestamptz + us * interval '1 microsecond';
CREATE FUNCTION ts_to_us(ts timestamptz) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (extract(epoch FROM ts) * 1000000)::bigint;

-- A department that decides items at the centre; code = the department_code of intake's
-- catalogue (the department's 统一社会信用代码 in the demo data).
CREATE TABLE departments (
    code        text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9._-]{1,64}$'),
    name        text NOT NULL CHECK (name <> ''),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Staff of the centre and its departments. role: window_clerk (窗口人员), approver (审批人员),
-- chief_representative (首席代表: holds the department's delegated authority at the centre),
-- supervisor (督查), administrator.
CREATE TABLE staff (
    staff_id         text PRIMARY KEY CHECK (staff_id ~ '^[A-Za-z0-9._-]{1,64}$'),
    name             text NOT NULL CHECK (name <> ''),
    department_code  text NOT NULL REFERENCES departments (code),
    role             text NOT NULL CHECK (role IN ('window_clerk', 'approver', 'chief_representative',
                                                   'supervisor', 'administrator')),
    active           boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (staff_id, department_code)
);

-- Who receives a department's new tasks. The skeleton has one approver per department; the
-- A/B post issue replaces this with posts (岗位) holding an A and a B holder and absences.
-- The composite key keeps the approver inside their own department.
CREATE TABLE department_approvers (
    department_code  text PRIMARY KEY REFERENCES departments (code),
    staff_id         text NOT NULL,
    FOREIGN KEY (staff_id, department_code) REFERENCES staff (staff_id, department_code)
);
