-- The sign a cause-effect link or a hybrid metric is expected to have: the causal check calls
-- a correlation of the other sign NOT_SUPPORTED. Existing ones expect a positive relation.
ALTER TABLE objective_links ADD COLUMN expected_sign TEXT NOT NULL DEFAULT 'positive'
    CHECK (expected_sign IN ('positive', 'negative'));
ALTER TABLE hybrid_metrics ADD COLUMN expected_sign TEXT NOT NULL DEFAULT 'positive'
    CHECK (expected_sign IN ('positive', 'negative'));
