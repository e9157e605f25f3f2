-- Organisation managed through the API (issue 4): the centres of the "1+7+N" network, which
-- centre a department sits at, and absences whose start and end have moved the post's work.

-- A service centre: the county centre (县政务服务中心), its sub-centres (分中心), township
-- centres (镇/街道便民服务中心) and village stations (村/社区便民服务站). centre_id is the place's
-- 12-digit statistical area code (统计用区划代码), the centre_id cases carry. The county has
-- no parent; a sub-centre or township belongs to the county, a village to a township.
CREATE TABLE centres (
    centre_id   text PRIMARY KEY CHECK (centre_id ~ '^[0-9]{12}$'),
    name        text NOT NULL CHECK (name <> ''),
    level       text NOT NULL CHECK (level IN ('county', 'sub_centre', 'township', 'village')),
    parent_id   text REFERENCES centres (centre_id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((level = 'county') = (parent_id IS NULL))
);

ALTER TABLE departments ADD COLUMN centre_id text REFERENCES centres (centre_id);

-- A post's open work moves when an absence starts and again when it ends (DOMAIN §4:
-- "A hands over before leaving; B hands back on return"). Absences recorded ahead of time
-- are applied by routingd's sweep once their moment has come; these say it was done, so a
-- restart neither skips nor repeats a move. ended_by: who cut the absence short (A came back
-- early).
ALTER TABLE absences ADD COLUMN start_applied boolean NOT NULL DEFAULT false;
ALTER TABLE absences ADD COLUMN end_applied boolean NOT NULL DEFAULT false;
ALTER TABLE absences ADD COLUMN ended_by text;
CREATE INDEX absences_to_apply ON absences (start_at) WHERE NOT start_applied OR NOT end_applied;

-- Changes to the organisation and absences, append-only (DOMAIN §4: every action kept: who,
-- when, what, why). The protected routing_audit trail is per task; the moves of tasks that
-- absences cause are written there (task.reassigned), these entries here.
CREATE TABLE org_changes (
    entry_id  bigserial PRIMARY KEY,
    at        timestamptz NOT NULL,
    actor     text NOT NULL,
    action    text NOT NULL,   -- org.put, absence.recorded, absence.started, absence.ended
    subject   text NOT NULL,   -- the absence id, or the import's summary
    detail    text NOT NULL DEFAULT ''
);
CREATE FUNCTION org_changes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'org_changes is append-only: % refused', TG_OP;
END
$$;
CREATE TRIGGER org_changes_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON org_changes
    FOR EACH STATEMENT EXECUTE FUNCTION org_changes_append_only();
