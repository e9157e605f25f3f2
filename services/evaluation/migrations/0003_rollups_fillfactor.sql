-- Roll-up rows are updated in place by every batch of ratings (rollups.c): room on each page
-- lets PostgreSQL keep the new row version on the same page without touching the index (a
-- HOT update), which is most of the cost of ingest.
ALTER TABLE rollups SET (fillfactor = 70);
