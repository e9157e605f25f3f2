-- Tables every service schema gets (applied before the service's own migrations).
-- Unqualified names: the service's role connects with search_path = its schema.

-- Transactional outbox: rows are inserted in the same transaction as the state change;
-- seq stays NULL until the relay numbers the row after it committed (ow_outbox.h).
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    event_id    uuid        NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    type        text        NOT NULL,
    case_no     text        NOT NULL DEFAULT '',
    centre_id   text        NOT NULL DEFAULT '',
    time_us     bigint      NOT NULL,
    payload     bytea       NOT NULL DEFAULT '\x',
    seq         bigint      UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_unsequenced ON outbox (id) WHERE seq IS NULL;

-- One row: the last seq assigned. Locked FOR UPDATE by the relay pass, which makes the relay
-- the single writer of seq even when several instances of a daemon run.
CREATE TABLE outbox_state (
    one          boolean PRIMARY KEY DEFAULT true CHECK (one),
    last_seq     bigint  NOT NULL DEFAULT 0
);
INSERT INTO outbox_state DEFAULT VALUES;

-- Consumer inbox: the last seq applied per followed source, updated in the same
-- transaction as the event's effect.
CREATE TABLE inbox (
    source      text   PRIMARY KEY,
    last_seq    bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Poison events skipped by the inbox, kept for an operator.
CREATE TABLE inbox_poison (
    source      text   NOT NULL,
    seq         bigint NOT NULL,
    type        text   NOT NULL,
    error       text   NOT NULL,
    envelope    bytea  NOT NULL,
    skipped_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, seq)
);

-- Idempotency keys: the first reply to a command, returned verbatim on repeats.
CREATE TABLE idempotency (
    key          text PRIMARY KEY,
    method       text  NOT NULL,
    request_hash bytea NOT NULL,
    reply        bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- The test clock offset this service has applied (one row; 0 unless the test clock is on).
CREATE TABLE test_clock (
    one        boolean PRIMARY KEY DEFAULT true CHECK (one),
    offset_us  bigint  NOT NULL DEFAULT 0
);
INSERT INTO test_clock DEFAULT VALUES;
