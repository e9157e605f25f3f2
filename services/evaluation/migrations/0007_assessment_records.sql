-- Staff assessment records (DOMAIN.md §7, issue 6): one row per deduction or bonus of a staff
-- member in a month. Automatic where the data exists — each 不满意 rating of a staff member
-- (grade 1–2 a rater made) is rule unsatisfied_rating × 1, written in the rating's transaction
-- and keyed by the rating, withdrawn when an appeal is upheld — and entered by supervisors
-- otherwise (evaluation.record_assessment). The month table (evaluation.assessment_month)
-- scores them with assessment.c.
CREATE TABLE assessment_records (
    record_id     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    staff_id      text    NOT NULL CHECK (staff_id <> ''),
    month         date    NOT NULL CHECK (extract(day FROM month) = 1),
    rule_code     text    NOT NULL,
    quantity      integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
    source        text    NOT NULL CHECK (source IN ('rating', 'supervisor')),
    rating_id     uuid UNIQUE REFERENCES ratings (rating_id),
    note          text    NOT NULL DEFAULT '',
    entered_by    text    NOT NULL DEFAULT '',
    entered_at_us bigint  NOT NULL,
    withdrawn     boolean NOT NULL DEFAULT false,
    CHECK ((source = 'rating') = (rating_id IS NOT NULL))
);
CREATE INDEX assessment_records_month ON assessment_records (month, staff_id)
    WHERE NOT withdrawn;
