DROP TABLE period_locks;
ALTER TABLE variables DROP COLUMN valid_max;
ALTER TABLE variables DROP COLUMN valid_min;
ALTER TABLE indicators DROP COLUMN valid_max;
ALTER TABLE indicators DROP COLUMN valid_min;
