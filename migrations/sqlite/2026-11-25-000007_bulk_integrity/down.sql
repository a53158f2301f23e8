-- PostgreSQL replaces the per-row foreign keys of measurements with set-wise checks per
-- statement (see the PostgreSQL migration of the same name). SQLite keeps its foreign keys:
-- they are lookups in the same process, a small share of an import's time; its unique key of
-- indicator revisions is already limited to indicator rows. Nothing changes here.
SELECT 1;
