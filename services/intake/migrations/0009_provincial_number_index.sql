-- The provincial case number is set only when the province assigns one (no code path writes
-- it yet), but its UNIQUE constraint indexed every case's NULL: one index insert per case on
-- the group commit's hot path for nothing (docs/intake.md "Group commit and the benchmark").
-- A unique index over the numbers that exist says the same thing: NULLs never conflicted.
ALTER TABLE cases DROP CONSTRAINT cases_provincial_case_no_key;
CREATE UNIQUE INDEX cases_provincial_case_no ON cases (provincial_case_no)
    WHERE provincial_case_no IS NOT NULL;
