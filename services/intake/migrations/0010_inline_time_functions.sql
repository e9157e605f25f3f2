-- us_to_ts and ts_to_us (0002) were declared IMMUTABLE, but their bodies use timestamptz
-- arithmetic and extract(), which PostgreSQL marks STABLE (they may read TimeZone; with whole
-- microseconds and epochs they never do). The planner inlines an IMMUTABLE SQL function only
-- when its body is immutable too, so every call ran through the SQL-function executor: in the
-- group commit's case insert (three calls per case) it was 5 % of the backend's time
-- (docs/intake.md "Group commit and the benchmark"). STABLE is what the bodies are; a STABLE
-- SQL function whose body is a single non-volatile expression is inlined into the query. No
-- index, constraint or generated column uses them, which is where IMMUTABLE would matter.
ALTER FUNCTION us_to_ts(bigint) STABLE;
ALTER FUNCTION ts_to_us(timestamptz) STABLE;
