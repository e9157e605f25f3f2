-- The materials handed in with an application become a column of the case: they are written
-- once, in the statement that inserts the case, and read whole (receive.c, the decision on a
-- receipt). As rows of case_materials they cost the group commit four heap tuples and four
-- index entries per case — a third of the case insert's time (docs/intake.md "Group commit and
-- the benchmark"). Each code is stored once (case_store.c), as the primary key ensured.
ALTER TABLE cases ADD COLUMN materials text[] NOT NULL DEFAULT '{}';
UPDATE cases c SET materials = m.codes
  FROM (SELECT case_no, array_agg(material_code ORDER BY material_code) AS codes
          FROM case_materials GROUP BY case_no) m
 WHERE m.case_no = c.case_no;
DROP TABLE case_materials;
