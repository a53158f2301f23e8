-- Bulk loads: the references of a measurement row are checked once per statement, set-wise,
-- instead of row by row.
--
-- A foreign key makes PostgreSQL run one lookup per key per inserted row (an import of a
-- million observations ran three million of them, plus five queued no-op checks per row for
-- the references an observation leaves empty). The same guarantee is kept here by
--   * an AFTER INSERT / AFTER UPDATE statement trigger that joins the statement's new rows
--     (a transition table) with the referenced tables and refuses the whole statement when
--     any reference is missing (SQLSTATE 23503, like a foreign key), and
--   * a trigger on each referenced table that refuses to delete a row, or change its id,
--     while a measurement refers to it.
-- Ayni's writers are serialised by the audit chain's row lock, so a reference cannot vanish
-- between the check and the commit. SQLite keeps its per-row foreign keys (lookups in the
-- same process, a small share of an import there).

ALTER TABLE measurements
    DROP CONSTRAINT measurements_indicator_id_fkey,
    DROP CONSTRAINT measurements_variable_id_fkey,
    DROP CONSTRAINT measurements_vec_id_fkey,
    DROP CONSTRAINT measurements_development_id_fkey,
    DROP CONSTRAINT measurements_actor_id_fkey,
    DROP CONSTRAINT measurements_submitted_by_fkey,
    DROP CONSTRAINT measurements_reviewed_by_fkey,
    DROP CONSTRAINT measurements_import_id_fkey;

-- The unique key of an indicator's revisions held an entry for every row, observations
-- included (whose indicator is NULL and can never collide): only indicator rows now.
ALTER TABLE measurements DROP CONSTRAINT measurements_indicator_id_period_territory_disaggregation_r_key;
CREATE UNIQUE INDEX measurements_indicator_revision
    ON measurements (indicator_id, period, territory, disaggregation, revision) WHERE indicator_id IS NOT NULL;

CREATE FUNCTION measurements_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad RECORD;
BEGIN
    SELECT n.id INTO bad FROM new_rows n
     WHERE (n.indicator_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM indicators p WHERE p.id = n.indicator_id))
        OR (n.variable_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM variables p WHERE p.id = n.variable_id))
        OR (n.vec_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM vecs p WHERE p.id = n.vec_id))
        OR (n.development_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM developments p WHERE p.id = n.development_id))
        OR NOT EXISTS (SELECT 1 FROM actors p WHERE p.id = n.actor_id)
        OR (n.submitted_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users p WHERE p.id = n.submitted_by))
        OR (n.reviewed_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users p WHERE p.id = n.reviewed_by))
        OR (n.import_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM imports p WHERE p.id = n.import_id))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on measurements violates its foreign keys: measurement % refers to a row that does not exist', bad.id
            USING ERRCODE = 'foreign_key_violation', TABLE = 'measurements';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER measurements_references_insert AFTER INSERT ON measurements
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION measurements_check_references();
CREATE TRIGGER measurements_references_update AFTER UPDATE ON measurements
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION measurements_check_references();

-- TG_ARGV: the measurement columns that refer to this table.
CREATE FUNCTION measurements_keep_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    col TEXT;
    used BOOLEAN;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NEW;
    END IF;
    FOREACH col IN ARRAY TG_ARGV LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM measurements WHERE %I = $1)', col)
            INTO used USING OLD.id;
        IF used THEN
            RAISE EXCEPTION 'delete or id change on % violates the foreign keys of measurements: row % is referred to by measurements.%', TG_TABLE_NAME, OLD.id, col
                USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME;
        END IF;
    END LOOP;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER indicators_keep_measured BEFORE DELETE OR UPDATE OF id ON indicators
    FOR EACH ROW EXECUTE FUNCTION measurements_keep_referenced('indicator_id');
CREATE TRIGGER variables_keep_measured BEFORE DELETE OR UPDATE OF id ON variables
    FOR EACH ROW EXECUTE FUNCTION measurements_keep_referenced('variable_id');
CREATE TRIGGER vecs_keep_measured BEFORE DELETE OR UPDATE OF id ON vecs
    FOR EACH ROW EXECUTE FUNCTION measurements_keep_referenced('vec_id');
CREATE TRIGGER developments_keep_measured BEFORE DELETE OR UPDATE OF id ON developments
    FOR EACH ROW EXECUTE FUNCTION measurements_keep_referenced('development_id');
CREATE TRIGGER actors_keep_measured BEFORE DELETE OR UPDATE OF id ON actors
    FOR EACH ROW EXECUTE FUNCTION measurements_keep_referenced('actor_id');
CREATE TRIGGER users_keep_measured BEFORE DELETE OR UPDATE OF id ON users
    FOR EACH ROW EXECUTE FUNCTION measurements_keep_referenced('submitted_by', 'reviewed_by');
CREATE TRIGGER imports_keep_measured BEFORE DELETE OR UPDATE OF id ON imports
    FOR EACH ROW EXECUTE FUNCTION measurements_keep_referenced('import_id');
