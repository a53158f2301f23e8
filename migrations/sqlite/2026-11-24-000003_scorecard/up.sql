-- Scorecard: indicators with baseline and targets, and contributed measurements.

CREATE TABLE indicators (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ecosystem_id BIGINT NOT NULL REFERENCES ecosystems (id),
    objective_id BIGINT NOT NULL REFERENCES objectives (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    unit TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('increase', 'decrease', 'range')),
    range_lower DOUBLE PRECISION,
    range_upper DOUBLE PRECISION,
    periodicity TEXT NOT NULL CHECK (periodicity IN ('yearly', 'six_monthly', 'quarterly', 'monthly')),
    aggregation TEXT NOT NULL CHECK (aggregation IN ('last', 'sum')),
    green_threshold DOUBLE PRECISION NOT NULL,
    amber_threshold DOUBLE PRECISION NOT NULL,
    weight DOUBLE PRECISION NOT NULL CHECK (weight > 0),
    source TEXT NOT NULL,
    shared_value_form TEXT CHECK (shared_value_form IN ('products_markets', 'value_chain', 'cluster')),
    metric_category TEXT CHECK (metric_category IN ('socioeconomic', 'environmental', 'innovation',
        'productive_diversification', 'financial')),
    baseline_period TEXT,
    baseline_value DOUBLE PRECISION,
    baseline_note TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (ecosystem_id, code),
    CHECK (direction <> 'range' OR (range_lower IS NOT NULL AND range_upper IS NOT NULL))
);
CREATE INDEX indicators_objective ON indicators (objective_id);

CREATE TABLE indicator_responsibles (
    indicator_id BIGINT NOT NULL REFERENCES indicators (id),
    actor_id BIGINT NOT NULL REFERENCES actors (id),
    PRIMARY KEY (indicator_id, actor_id)
);

CREATE TABLE targets (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    indicator_id BIGINT NOT NULL REFERENCES indicators (id),
    period TEXT NOT NULL,
    period_end TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    horizon TEXT NOT NULL CHECK (horizon IN ('short', 'medium', 'long')),
    UNIQUE (indicator_id, period)
);

-- One row per revision. `counted` marks the latest approved revision of each
-- (indicator, period, territory, disaggregation): the one scores use.
CREATE TABLE measurements (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    indicator_id BIGINT NOT NULL REFERENCES indicators (id),
    period TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    territory TEXT NOT NULL,
    disaggregation TEXT NOT NULL,
    revision INTEGER NOT NULL CHECK (revision >= 1),
    value DOUBLE PRECISION NOT NULL,
    evidence_url TEXT,
    evidence_text TEXT,
    comment TEXT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES actors (id),
    submitted_by BIGINT REFERENCES users (id),
    submitted_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'rejected')),
    reviewed_by BIGINT REFERENCES users (id),
    reviewed_at TIMESTAMP,
    reject_reason TEXT,
    counted BOOLEAN NOT NULL,
    UNIQUE (indicator_id, period, territory, disaggregation, revision),
    CHECK (evidence_url IS NOT NULL OR evidence_text IS NOT NULL),
    CHECK (status <> 'rejected' OR reject_reason IS NOT NULL),
    CHECK (NOT counted OR status = 'approved')
);
CREATE INDEX measurements_counted ON measurements (indicator_id, counted, territory, disaggregation, period_end);
CREATE INDEX measurements_status ON measurements (status, indicator_id);
