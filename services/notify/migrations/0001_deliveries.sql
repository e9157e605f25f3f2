-- notifyd's schema: templates, the applicant's contact per case, and deliveries
-- (DOMAIN.md §8). Unqualified names: the service role connects with search_path = notify.

-- Versioned notification texts; the highest version of each kind is used. Checked when
-- loaded: a template naming a placeholder its kind does not supply stops start-up.
CREATE TABLE templates (
    kind       text    NOT NULL,
    version    integer NOT NULL CHECK (version > 0),
    body       text    NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, version)
);

INSERT INTO templates (kind, version, body) VALUES
('case_accepted', 1,
 '{applicant_name}您好：您申请的“{item_name}”已于{accepted_date}受理，受理编号{case_no}，'
 '承诺办结时限{promised_limit}{limit_unit}。可凭受理编号查询办理进度。'),
('case_decided_approved', 1,
 '{applicant_name}您好：您申请的“{item_name}”（受理编号{case_no}）已于{decided_date}办结，'
 '审批结果为准予许可。请按约定方式领取办理结果。'),
('case_decided_refused', 1,
 '{applicant_name}您好：您申请的“{item_name}”（受理编号{case_no}）已于{decided_date}办结，'
 '审批结果为不予许可，理由：{reason}。如不服本决定，可依法申请行政复议或者提起行政诉讼。'),
('rating_invitation', 1,
 '{applicant_name}您好：您办理的“{item_name}”（受理编号{case_no}）已办结，诚邀您对本次服务'
 '作出评价（非常满意、满意、基本满意、不满意、非常不满意）。评价自愿，感谢您的支持。');

-- notifyd's own copy of what it needs to tell an applicant about a case: the contact from
-- case.accepted (no identity number: only what delivery needs) and the decision from
-- case.decided. Either event may be applied first (two sources replayed independently); the
-- decision's notices are queued once both are known.
CREATE TABLE case_contacts (
    case_no           text PRIMARY KEY CHECK (case_no <> ''),
    applicant_name    text    NOT NULL DEFAULT '',
    phone             text    NOT NULL DEFAULT '',
    email             text    NOT NULL DEFAULT '',
    item_code         text    NOT NULL DEFAULT '',
    item_name         text    NOT NULL DEFAULT '',
    centre_id         text    NOT NULL DEFAULT '',
    promised_limit    integer NOT NULL DEFAULT 0,
    limit_unit        text    NOT NULL DEFAULT '',
    accepted_at_us    bigint,           -- NULL until case.accepted is applied
    accepted_event_id uuid,
    outcome           text,             -- approved, refused; NULL until case.decided
    decided_at_us     bigint,
    decision_comment  text    NOT NULL DEFAULT '',
    decided_event_id  uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- One row per notice to one recipient over one channel. The delivery key is unique, so a
-- replayed event queues nothing new. Rows are inserted (queued) in the inbox's transaction
-- and marked sent only after the channel has them durably; attempts, last_error and parked
-- serve retries of outside channels (SMTP, SMS, webhooks: a later issue).
CREATE TABLE deliveries (
    delivery_id      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    queued_seq       bigserial NOT NULL UNIQUE, -- sending order
    event_id         uuid    NOT NULL,
    kind             text    NOT NULL,          -- case_accepted, case_decided, rating_invitation
    recipient        text    NOT NULL CHECK (recipient <> ''),
    channel          text    NOT NULL,          -- file (the sink), later sms, email, webhook
    case_no          text    NOT NULL DEFAULT '',
    text             text    NOT NULL,
    template_kind    text    NOT NULL,
    template_version integer NOT NULL,
    state            text    NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'sent', 'parked')),
    attempts         integer NOT NULL DEFAULT 0,
    last_error       text,
    queued_at_us     bigint  NOT NULL,
    sent_at_us       bigint,
    UNIQUE (event_id, kind, recipient, channel)
);
CREATE INDEX deliveries_queued ON deliveries (channel, queued_seq) WHERE state = 'queued';
