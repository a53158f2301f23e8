DROP TRIGGER imports_keep_measured ON imports;
DROP TRIGGER users_keep_measured ON users;
DROP TRIGGER actors_keep_measured ON actors;
DROP TRIGGER developments_keep_measured ON developments;
DROP TRIGGER vecs_keep_measured ON vecs;
DROP TRIGGER variables_keep_measured ON variables;
DROP TRIGGER indicators_keep_measured ON indicators;
DROP FUNCTION measurements_keep_referenced();
DROP TRIGGER measurements_references_update ON measurements;
DROP TRIGGER measurements_references_insert ON measurements;
DROP FUNCTION measurements_check_references();
DROP INDEX measurements_indicator_revision;
ALTER TABLE measurements
    ADD CONSTRAINT measurements_indicator_id_period_territory_disaggregation_r_key
        UNIQUE (indicator_id, period, territory, disaggregation, revision),
    ADD CONSTRAINT measurements_indicator_id_fkey FOREIGN KEY (indicator_id) REFERENCES indicators (id),
    ADD CONSTRAINT measurements_variable_id_fkey FOREIGN KEY (variable_id) REFERENCES variables (id),
    ADD CONSTRAINT measurements_vec_id_fkey FOREIGN KEY (vec_id) REFERENCES vecs (id),
    ADD CONSTRAINT measurements_development_id_fkey FOREIGN KEY (development_id) REFERENCES developments (id),
    ADD CONSTRAINT measurements_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES actors (id),
    ADD CONSTRAINT measurements_submitted_by_fkey FOREIGN KEY (submitted_by) REFERENCES users (id),
    ADD CONSTRAINT measurements_reviewed_by_fkey FOREIGN KEY (reviewed_by) REFERENCES users (id),
    ADD CONSTRAINT measurements_import_id_fkey FOREIGN KEY (import_id) REFERENCES imports (id);
