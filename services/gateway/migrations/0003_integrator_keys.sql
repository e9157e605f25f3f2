-- CURVE keys of integrators (issue 8, "Integrators": "a CURVE-secured subscription for
-- outside systems"), in the same table as the centres' keys so that one ZAP handler and one
-- per-message lookup admit both. A key belongs to a centre or to an integrator, never both;
-- an integrator key carries the event type prefixes it subscribed to and may only read
-- those events (serve_remote.c), never submit or read a case.
ALTER TABLE centre_keys ALTER COLUMN centre_id DROP NOT NULL;
ALTER TABLE centre_keys ADD COLUMN integrator text CHECK (length(integrator) BETWEEN 1 AND 64);
ALTER TABLE centre_keys ADD COLUMN subscriptions text NOT NULL DEFAULT '';
ALTER TABLE centre_keys ADD CONSTRAINT centre_keys_one_owner
    CHECK ((centre_id IS NULL) <> (integrator IS NULL)
           AND (integrator IS NULL OR subscriptions <> ''));
