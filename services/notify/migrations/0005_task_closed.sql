-- A held task closed because its case ended before a decision (DOMAIN.md §3: the applicant
-- withdrew, or the 容缺 supply deadline lapsed): its holder is told, so that nobody keeps
-- working on a case that no longer exists (routing's task.updated, closed_reason).
INSERT INTO templates (kind, channel, version, body) VALUES
('task_closed', 'any', 1,
 '{staff_name}您好：受理编号{case_no}（“{item_name}”）{stage}环节的审批任务已关闭：{why}。'
 '无需再办理。');
