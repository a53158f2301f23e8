-- Commitments of the coordinating body: agreements, commitments, decisions and
-- recommendations, with a source, a responsible actor, a deadline and a status. Dates are
-- YYYY-MM-DD text. Public, and audited: each status change is also a row of
-- commitment_status_changes (the history) and an audit entry.

CREATE TABLE commitments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ecosystem_id BIGINT NOT NULL REFERENCES ecosystems (id),
    text_es TEXT NOT NULL,
    text_en TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('agreement', 'commitment', 'decision', 'recommendation')),
    source TEXT NOT NULL CHECK (source IN ('meeting', 'report', 'other')),
    source_reference TEXT NOT NULL,
    source_date TEXT NOT NULL,
    responsible_actor_id BIGINT NOT NULL REFERENCES actors (id),
    deadline TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'in_progress', 'fulfilled', 'dropped')),
    evidence_url TEXT,
    evidence_text TEXT,
    status_note TEXT,
    status_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (status <> 'fulfilled' OR evidence_url IS NOT NULL OR evidence_text IS NOT NULL),
    CHECK (status <> 'dropped' OR status_note IS NOT NULL)
);
CREATE INDEX commitments_ecosystem ON commitments (ecosystem_id);
CREATE INDEX commitments_actor ON commitments (responsible_actor_id);

-- The objectives a commitment serves.
CREATE TABLE commitment_objectives (
    commitment_id BIGINT NOT NULL REFERENCES commitments (id),
    objective_id BIGINT NOT NULL REFERENCES objectives (id),
    PRIMARY KEY (commitment_id, objective_id)
);
CREATE INDEX commitment_objectives_objective ON commitment_objectives (objective_id);

-- The investments (by CUI, 7 digits) a commitment concerns.
CREATE TABLE commitment_investments (
    commitment_id BIGINT NOT NULL REFERENCES commitments (id),
    cui TEXT NOT NULL,
    PRIMARY KEY (commitment_id, cui)
);
CREATE INDEX commitment_investments_cui ON commitment_investments (cui);

-- Every status a commitment had, in order: its creation (pending) first.
CREATE TABLE commitment_status_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    commitment_id BIGINT NOT NULL REFERENCES commitments (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'in_progress', 'fulfilled', 'dropped')),
    evidence_url TEXT,
    evidence_text TEXT,
    note TEXT,
    changed_by BIGINT REFERENCES users (id),
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX commitment_status_changes_commitment ON commitment_status_changes (commitment_id);
