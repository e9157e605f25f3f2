-- evaluationd's schema: ratings (政务服务"好差评", DOMAIN.md §6).
-- Unqualified names: the service role connects with search_path = evaluation.

-- Our own copy of each served case, learnt from case.accepted (what was served, where, by
-- whom) and case.decided (the case becomes rateable). Either event may be applied first:
-- routing's and intake's streams are replayed independently, so a row can exist with only
-- the decision until the acceptance arrives.
CREATE TABLE served_cases (
    case_no           text PRIMARY KEY CHECK (case_no <> ''),
    item_code         text    NOT NULL DEFAULT '',
    item_name         text    NOT NULL DEFAULT '',
    item_version      integer NOT NULL DEFAULT 0,
    department_code   text    NOT NULL DEFAULT '',
    department_name   text    NOT NULL DEFAULT '',
    centre_id         text    NOT NULL DEFAULT '',
    channel           text    NOT NULL DEFAULT '',
    accepted_at_us    bigint,          -- NULL until case.accepted is applied
    accepted_event_id uuid,
    outcome           text,            -- approved, refused; NULL until case.decided
    decided_at_us     bigint,
    decided_event_id  uuid,
    -- One rating per service, once it is done (一次一评 / 一事一评).
    rateable          boolean GENERATED ALWAYS AS
                          (accepted_at_us IS NOT NULL AND decided_at_us IS NOT NULL) STORED,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- The applicant (the rater) of each case, kept apart: the rater's identity is protected,
-- never shown in reports and never sent in events (DOMAIN.md §6). Only the provincial push
-- (a later issue) reads it, and access is to be restricted and logged there.
CREATE TABLE case_applicants (
    case_no   text PRIMARY KEY REFERENCES served_cases (case_no),
    name      text NOT NULL DEFAULT '',
    id_type   text NOT NULL DEFAULT '',
    id_number text NOT NULL DEFAULT '',
    phone     text NOT NULL DEFAULT '',
    email     text NOT NULL DEFAULT ''
);

-- Ratings. No column names the rater. department/item/centre are copied from the case so
-- roll-ups per department, item and centre need no join.
CREATE TABLE ratings (
    rating_id       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_no         text NOT NULL UNIQUE REFERENCES served_cases (case_no),
    grade           smallint NOT NULL CHECK (grade BETWEEN 1 AND 5),
    -- 差评: the bottom two grades; each opens a rectification ticket (a later issue)
    is_bad          boolean NOT NULL CHECK (is_bad = (grade <= 2)),
    comment         text NOT NULL DEFAULT '',
    channel         text NOT NULL,
    rated_at_us     bigint NOT NULL,
    department_code text NOT NULL DEFAULT '',
    item_code       text NOT NULL DEFAULT '',
    centre_id       text NOT NULL DEFAULT '',
    -- a 基本满意 recorded by default after 7 days without a rating (a later issue)
    is_default      boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ratings_department_time ON ratings (department_code, rated_at_us);
