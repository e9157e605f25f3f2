-- Issue 7: deliveries over outside channels (webhook, sms, email) with retries and dead
-- letters, webhook subscriptions for integrators, applicants' channel preferences, and
-- templates per channel. DOMAIN.md §8.

-- States: queued (never tried), failed (tried, another attempt is due at next_attempt_at_us),
-- sent, dead (gave up after notify.max_attempts: parked for an operator, never dropped;
-- `notify.resend` queues it again). The skeleton's 'parked' was never written.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_state_check;
UPDATE deliveries SET state = 'dead' WHERE state = 'parked';
ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check
    CHECK (state IN ('queued', 'failed', 'sent', 'dead'));

ALTER TABLE deliveries
    ADD COLUMN target             text    NOT NULL DEFAULT '', -- URL, phone number or address
    ADD COLUMN subject            text    NOT NULL DEFAULT '', -- e-mail subject
    ADD COLUMN subscription_id    uuid,                        -- webhook: whose URL and secret
    ADD COLUMN event_type         text    NOT NULL DEFAULT '',
    ADD COLUMN urgent             boolean NOT NULL DEFAULT false,
    -- The attempt is counted and leased before it starts (recorded before attempted): a
    -- sender that dies mid-attempt leaves the lease to run out, and the delivery is tried once
    -- more — at most one repeat of what was in flight, nothing acknowledged.
    ADD COLUMN next_attempt_at_us bigint  NOT NULL DEFAULT 0,
    ADD COLUMN lease_until_us     bigint  NOT NULL DEFAULT 0,
    ADD COLUMN last_attempt_at_us bigint,
    ADD COLUMN dead_at_us         bigint,
    ADD COLUMN resent_count       integer NOT NULL DEFAULT 0;

-- What the outside sender looks for: due deliveries of the outside channels.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at_us)
    WHERE state IN ('queued', 'failed') AND channel <> 'file';
CREATE INDEX deliveries_case ON deliveries (case_no, queued_seq);
CREATE INDEX deliveries_dead ON deliveries (queued_seq) WHERE state = 'dead';

-- Templates per event kind and channel: 'any' serves every channel without its own text.
ALTER TABLE templates ADD COLUMN channel text NOT NULL DEFAULT 'any'
    CHECK (channel IN ('any', 'file', 'sms', 'email'));
ALTER TABLE templates DROP CONSTRAINT templates_pkey;
ALTER TABLE templates ADD PRIMARY KEY (kind, channel, version);

-- The e-mail subject of each notice (the body is the 'any' text).
INSERT INTO templates (kind, channel, version, body) VALUES
('case_accepted_subject', 'email', 1, '【政务服务】“{item_name}”已受理（{case_no}）'),
('case_decided_subject', 'email', 1, '【政务服务】“{item_name}”已办结（{case_no}）'),
('rating_invitation_subject', 'email', 1, '【政务服务】诚邀您评价“{item_name}”的办理服务');

-- Integrators' webhook subscriptions (issue 7). event_types: exact types ("case.accepted"),
-- prefixes ending in ".*" ("case.*"), or "*". The secret signs every delivery and is never
-- shown again.
CREATE TABLE webhook_subscriptions (
    subscription_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name            text    NOT NULL DEFAULT '',
    url             text    NOT NULL,
    event_types     text[]  NOT NULL,
    secret          text    NOT NULL,
    active          boolean NOT NULL DEFAULT true,
    created_at_us   bigint  NOT NULL,
    removed_at_us   bigint
);

-- An applicant's choice of channel (SMS, e-mail, none), keyed by the phone number or e-mail
-- address notifyd knows them by. Without a row: SMS when there is a phone, else e-mail.
CREATE TABLE applicant_preferences (
    contact       text PRIMARY KEY CHECK (contact <> ''),
    channel       text NOT NULL CHECK (channel IN ('sms', 'email', 'none')),
    updated_at_us bigint NOT NULL
);
