-- CURVE public keys of township centres (issue 8, "Remote township centres"): the ZAP
-- handler admits only a registered, unrevoked key, and every message is checked again.
-- Only public keys are stored; the secret stays in the centre's key file (mode 0600).
CREATE TABLE centre_keys (
    key_id          text PRIMARY KEY,
    centre_id       text NOT NULL CHECK (centre_id ~ '^[0-9]{12}$'),
    public_key      text NOT NULL UNIQUE CHECK (length(public_key) = 40),
    label           text NOT NULL DEFAULT '',
    registered_by   text NOT NULL,
    idempotency_key text UNIQUE,
    registered_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz
);
