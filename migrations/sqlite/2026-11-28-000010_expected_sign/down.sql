ALTER TABLE hybrid_metrics DROP COLUMN expected_sign;
ALTER TABLE objective_links DROP COLUMN expected_sign;
