-- Bearer tokens, the audit trail of administrative actions, and the event log served to
-- integrators (issue 8). Tokens are stored only as SHA-256 hashes.
CREATE TABLE tokens (
    token_id        text PRIMARY KEY,
    token_hash      text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    subject         text NOT NULL,
    role            text NOT NULL CHECK (role IN ('integrator', 'clerk', 'supervisor', 'admin')),
    centre_id       text NOT NULL CHECK (centre_id ~ '^[0-9]{12}$'),
    subscriptions   text NOT NULL DEFAULT '',
    issued_by       text NOT NULL,
    idempotency_key text UNIQUE,
    issued_at       timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz
);

CREATE TABLE audit (
    audit_id bigserial PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    actor    text NOT NULL,  -- "tk_…/subject", or "config" for the bootstrap token
    action   text NOT NULL,  -- token.issue, token.revoke, token.bootstrap, clock.set
    target   text NOT NULL,
    detail   text NOT NULL DEFAULT ''
);

-- Every event of the followed sources, in the order the gateway applied them: seq is the
-- integrators' cursor (GET /v1/events?after=SEQ, SSE Last-Event-ID).
CREATE TABLE events (
    seq        bigserial PRIMARY KEY,
    event_id   text NOT NULL UNIQUE,
    source     text NOT NULL,
    source_seq bigint NOT NULL,
    type       text NOT NULL,
    case_no    text NOT NULL DEFAULT '',
    centre_id  text NOT NULL DEFAULT '',
    time_us    bigint NOT NULL,
    payload    bytea NOT NULL
);
