-- Issue 7, staff and supervisor recipients (DOMAIN.md §8: staff are told of new tasks, tasks
-- from an absent colleague, yellow and red cards; supervisors of red cards, bad reviews and
-- overdue rectifications). notifyd keeps what it needs itself (docs/notify.md, "Staff").

-- The staff contact directory: how a staff member is reached, set by notify.set_staff_contact
-- (bulk). Staff channels are notifyd's concern the way applicants' preferences are.
CREATE TABLE staff_contacts (
    staff_id        text PRIMARY KEY CHECK (staff_id <> ''),
    name            text NOT NULL DEFAULT '',
    phone           text NOT NULL DEFAULT '',
    email           text NOT NULL DEFAULT '',
    channel         text NOT NULL DEFAULT '' CHECK (channel IN ('', 'sms', 'email', 'none')),
    centre_id       text NOT NULL DEFAULT '',
    department_code text NOT NULL DEFAULT '',
    updated_at_us   bigint NOT NULL
);

-- Who holds each task, learnt from routing's task.created / task.updated / task.decided.
CREATE TABLE case_tasks (
    task_id         text PRIMARY KEY,
    case_no         text NOT NULL,
    assignee        text NOT NULL DEFAULT '',
    on_behalf_of    text NOT NULL DEFAULT '',
    post_code       text NOT NULL DEFAULT '',
    department_code text NOT NULL DEFAULT '',
    stage           text NOT NULL DEFAULT '',
    state           text NOT NULL DEFAULT '',
    updated_at_us   bigint NOT NULL
);
CREATE INDEX case_tasks_case ON case_tasks (case_no);

-- Supervisors registered per centre and the kinds of notice they take.
CREATE TABLE supervisors (
    staff_id      text NOT NULL CHECK (staff_id <> ''),
    centre_id     text NOT NULL CHECK (centre_id <> ''),
    kinds         text[] NOT NULL,
    updated_at_us bigint NOT NULL,
    PRIMARY KEY (centre_id, staff_id)
);

-- Texts for staff, supervisors and the applicant's further notices (DOMAIN.md §8).
INSERT INTO templates (kind, channel, version, body) VALUES
('task_assigned', 'any', 1,
 '{staff_name}您好：您有一件新的审批任务，受理编号{case_no}，事项“{item_name}”，环节{stage}。'
 '请及时办理。'),
('task_assigned_on_behalf', 'any', 1,
 '{staff_name}您好：{absent_name}不在岗，其审批任务由您代为办理：受理编号{case_no}，'
 '事项“{item_name}”，环节{stage}。'),
('deadline_yellow', 'any', 1,
 '【黄牌预警】{staff_name}您好：受理编号{case_no}（“{item_name}”）{scope}将于{due_time}到期，'
 '剩余{remaining}个工作日，请抓紧办理。'),
('deadline_red', 'any', 1,
 '【红牌警告】{staff_name}您好：受理编号{case_no}（“{item_name}”）{scope}已于{due_time}超期，'
 '请立即办理并说明原因。'),
('deadline_red_supervisor', 'any', 1,
 '【红牌警告】{staff_name}您好：受理编号{case_no}（“{item_name}”）{scope}已于{due_time}超期，'
 '承办人{holder_names}。请督办。'),
('bad_review', 'any', 1,
 '【差评提醒】{staff_name}您好：受理编号{case_no}（“{item_name}”）收到{grade_text}评价，'
 '意见：{comment}。请督促责任单位核实整改。'),
('case_notice_issued', 'any', 1,
 '{applicant_name}您好：您申请的“{item_name}”（编号{case_no}）材料尚需补正，'
 '一次性告知如下：{materials}。请补齐后再次提交。'),
('case_rongque_accepted', 'any', 1,
 '{applicant_name}您好：您申请的“{item_name}”已容缺受理，受理编号{case_no}。'
 '请于{supply_due_date}前补齐：{materials}。逾期未补齐的，办理终止。'),
('case_suspended', 'any', 1,
 '{applicant_name}您好：您申请的“{item_name}”（受理编号{case_no}）进入{procedure}程序，'
 '预计需要{expected_length}，所需时间不计入办理时限。{reason}'),
('case_extended', 'any', 1,
 '{applicant_name}您好：您申请的“{item_name}”（受理编号{case_no}）经批准延长办理期限'
 '{extra_days}个工作日，理由：{reason}。'),
('notice_subject', 'email', 1, '【政务服务】“{item_name}”办理提醒（{case_no}）');
