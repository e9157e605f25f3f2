-- Issues 6 and 7: the provincial 好差评 push and evaluation's notices (DOMAIN.md §6, §8).

-- One provincial push per rating, whatever event carried it (provincial_push.h): the
-- delivery's recipient is the rating id. deliveries_queue's ON CONFLICT DO NOTHING covers
-- this key as well as the delivery key.
CREATE UNIQUE INDEX deliveries_rating_push ON deliveries (recipient) WHERE kind = 'rating_push';

-- Texts: the 3-day rating reminder and the rectification result (the applicant), an overdue
-- rectification (the centre's supervisors). None may name the rater's identity: the events
-- do not carry it, and templates.c refuses any placeholder its kind does not supply.
INSERT INTO templates (kind, channel, version, body) VALUES
('rating_reminder', 'any', 1,
 '{applicant_name}您好：您办理的“{item_name}”（受理编号{case_no}）已办结三日，尚未评价。'
 '诚邀您于{rate_until_date}前对本次服务作出评价；逾期未评价的，视为“基本满意”。评价自愿。'),
('rectification_result', 'any', 1,
 '{applicant_name}您好：您对“{item_name}”（受理编号{case_no}）的评价已收到，责任单位'
 '已{classification}：{rectify_note}。稍后将向您回访，请对整改情况作出评价。'),
('overdue_rectification', 'any', 1,
 '【整改超期】{staff_name}您好：受理编号{case_no}（“{item_name}”）的{grade_text}评价，'
 '责任单位{department}未在{due_date}前完成整改，请督办。');
