-- DOMAIN §4: work lists go green channel (绿色通道), love channel (爱心通道), then earliest due.
-- A case under a workflow keeps its lane and promised completion from case.accepted, so the
-- tasks of its later stages are ordered like its first (tasks.lane_rank, tasks.due_at).
ALTER TABLE case_workflows ADD COLUMN lane_rank smallint NOT NULL DEFAULT 0
    CHECK (lane_rank BETWEEN 0 AND 2);
ALTER TABLE case_workflows ADD COLUMN due_at timestamptz;
