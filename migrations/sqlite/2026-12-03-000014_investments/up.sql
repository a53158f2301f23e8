-- Public investments (projects, IOARR and ideas) of an ecosystem, their links to the
-- strategy, planned curves and dated execution snapshots; per-ecosystem alert thresholds,
-- prioritisation criteria and budget envelopes. Every figure derived from them (execution,
-- progress, alerts, rankings, priorities) is computed, never stored. See docs/investments.md.
CREATE TABLE investments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ecosystem_id BIGINT NOT NULL REFERENCES ecosystems (id),
    -- Código único de inversiones (7 digits); NULL only for an idea not yet registered.
    cui TEXT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    level TEXT NOT NULL,
    function TEXT NOT NULL,
    programme TEXT NOT NULL,
    subprogramme TEXT NOT NULL,
    stage TEXT NOT NULL,
    modality TEXT NOT NULL,
    financing_source TEXT NOT NULL,
    participatory_budget BOOLEAN NOT NULL,
    prioritised BOOLEAN NOT NULL,
    ubigeo TEXT NOT NULL,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    beneficiaries BIGINT,
    viable_amount DOUBLE PRECISION,
    updated_cost DOUBLE PRECISION,
    viability_date TEXT,
    start_date TEXT,
    planned_end_date TEXT,
    executing_actor_id BIGINT REFERENCES actors (id),
    executing_unit TEXT NOT NULL,
    -- The coordinating body's judged scores (1..5) by criterion code, as a JSON object.
    judged_scores TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX investments_cui ON investments (ecosystem_id, cui);
CREATE INDEX investments_actor ON investments (executing_actor_id);

-- The objectives and indicators an investment serves, with the expected change.
CREATE TABLE investment_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    investment_id BIGINT NOT NULL REFERENCES investments (id),
    objective_id BIGINT REFERENCES objectives (id),
    indicator_id BIGINT REFERENCES indicators (id),
    expected_change TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE INDEX investment_links_investment ON investment_links (investment_id);
CREATE INDEX investment_links_objective ON investment_links (objective_id);
CREATE INDEX investment_links_indicator ON investment_links (indicator_id);

-- A planned curve: the cumulative devengado planned at each month's end of a year (12
-- amounts separated by commas).
CREATE TABLE investment_plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    investment_id BIGINT NOT NULL REFERENCES investments (id),
    year INTEGER NOT NULL,
    months TEXT NOT NULL
);
CREATE UNIQUE INDEX investment_plans_year ON investment_plans (investment_id, year);

-- Execution as known on a date: the year's budget and spending, earlier years' devengado
-- and physical progress. One per investment and date.
CREATE TABLE investment_snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    investment_id BIGINT NOT NULL REFERENCES investments (id),
    as_of TEXT NOT NULL,
    year INTEGER NOT NULL,
    pia DOUBLE PRECISION NOT NULL,
    pim DOUBLE PRECISION NOT NULL,
    certified DOUBLE PRECISION NOT NULL,
    committed DOUBLE PRECISION NOT NULL,
    accrued DOUBLE PRECISION NOT NULL,
    paid DOUBLE PRECISION NOT NULL,
    accrued_before DOUBLE PRECISION NOT NULL,
    physical_percent DOUBLE PRECISION,
    physical_measured_on TEXT,
    physical_evidence TEXT NOT NULL,
    recorded_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX investment_snapshots_date ON investment_snapshots (investment_id, as_of);

-- An ecosystem's alert thresholds, prioritisation criteria (judged ones as a JSON array of
-- {code, name, weight}) and annual budget envelopes (a JSON object year → amount).
CREATE TABLE investment_settings (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ecosystem_id BIGINT NOT NULL REFERENCES ecosystems (id),
    stalled_months INTEGER NOT NULL,
    physical_lag_points DOUBLE PRECISION NOT NULL,
    plan_gap_points DOUBLE PRECISION NOT NULL,
    pace_gap_points DOUBLE PRECISION NOT NULL,
    pim_change_percent DOUBLE PRECISION NOT NULL,
    gap_weight DOUBLE PRECISION NOT NULL,
    stage_weight DOUBLE PRECISION NOT NULL,
    scale_weight DOUBLE PRECISION NOT NULL,
    scale_basis TEXT NOT NULL,
    judged_criteria TEXT NOT NULL,
    envelopes TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX investment_settings_ecosystem ON investment_settings (ecosystem_id);
