-- The rater's identity apart (DOMAIN.md §6: "access to it is restricted and logged"; issue 6).
-- `owctl db init` (common/ow_provision.c) creates <schema>_identity.applicants owned by the
-- NOLOGIN role ow_evaluation_identity, which lets this service INSERT but not SELECT, and the
-- SECURITY DEFINER function <schema>_identity.read_applicants(case_nos, purpose) that logs
-- every row it returns in the append-only <schema>_identity.reads. Where that exists, the
-- identities recorded so far move there, case_applicants becomes a view of it (INSERT passes
-- through; SELECT is refused by privilege) and read_applicants here calls the protected one.
-- Without it (a scratch schema of a unit test) the table stays local, with the same function
-- and an append-only local log, so the code is the same in both.
DO $$
DECLARE
    target text := quote_ident(current_schema() || '_identity');
BEGIN
    IF to_regclass(target || '.applicants') IS NULL
       OR NOT has_table_privilege(target || '.applicants', 'INSERT') THEN
        CREATE TABLE identity_reads (
            read_id  bigserial PRIMARY KEY,
            at       timestamptz NOT NULL DEFAULT clock_timestamp(),
            reader   text NOT NULL,
            purpose  text NOT NULL,
            case_no  text NOT NULL
        );
        CREATE FUNCTION identity_reads_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN
            RAISE EXCEPTION 'identity_reads is append-only: % refused', TG_OP;
        END
        $f$;
        CREATE TRIGGER identity_reads_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
            ON identity_reads FOR EACH STATEMENT EXECUTE FUNCTION identity_reads_append_only();
        CREATE FUNCTION read_applicants(p_case_nos text[], p_purpose text)
            RETURNS TABLE (o_case_no text, o_name text, o_id_type text, o_id_number text,
                           o_phone text, o_email text)
            LANGUAGE plpgsql AS $f$
        BEGIN
            IF coalesce(p_purpose, '') = '' THEN
                RAISE EXCEPTION 'reading a rater''s identity needs a purpose';
            END IF;
            INSERT INTO identity_reads (reader, purpose, case_no)
                SELECT session_user, p_purpose, a.case_no FROM case_applicants a
                WHERE a.case_no = ANY (p_case_nos) ORDER BY a.case_no;
            RETURN QUERY SELECT a.case_no, a.name, a.id_type, a.id_number, a.phone, a.email
                FROM case_applicants a WHERE a.case_no = ANY (p_case_nos) ORDER BY a.case_no;
        END
        $f$;
        RETURN;
    END IF;
    EXECUTE format('INSERT INTO %s.applicants (case_no, name, id_type, id_number, phone, email)'
                   ' SELECT case_no, name, id_type, id_number, phone, email FROM case_applicants'
                   ' ON CONFLICT DO NOTHING', target);
    DROP TABLE case_applicants;
    EXECUTE format('CREATE VIEW case_applicants AS SELECT case_no, name, id_type, id_number,'
                   ' phone, email FROM %s.applicants', target);
    EXECUTE format('CREATE FUNCTION read_applicants(p_case_nos text[], p_purpose text)'
                   ' RETURNS TABLE (o_case_no text, o_name text, o_id_type text,'
                   ' o_id_number text, o_phone text, o_email text) LANGUAGE sql AS'
                   ' $g$ SELECT * FROM %s.read_applicants(p_case_nos, p_purpose) $g$', target);
END
$$;
