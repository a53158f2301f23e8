-- Strategy maps: ecosystems, their four perspectives, members, themes, objectives and links.

CREATE TABLE ecosystems (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    territory TEXT NOT NULL,
    mission TEXT NOT NULL,
    vision TEXT NOT NULL,
    horizon_start INTEGER NOT NULL,
    horizon_end INTEGER NOT NULL CHECK (horizon_end >= horizon_start),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE perspectives (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ecosystem_id BIGINT NOT NULL REFERENCES ecosystems (id),
    kind TEXT NOT NULL CHECK (kind IN ('results', 'stakeholders', 'processes', 'enablers')),
    name TEXT NOT NULL,
    position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 4),
    UNIQUE (ecosystem_id, kind)
);

CREATE TABLE ecosystem_members (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ecosystem_id BIGINT NOT NULL REFERENCES ecosystems (id),
    actor_id BIGINT NOT NULL REFERENCES actors (id),
    role_label TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (ecosystem_id, actor_id)
);

CREATE TABLE themes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ecosystem_id BIGINT NOT NULL REFERENCES ecosystems (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('theme', 'cluster')),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (ecosystem_id, code)
);

CREATE TABLE objectives (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ecosystem_id BIGINT NOT NULL REFERENCES ecosystems (id),
    perspective_id BIGINT NOT NULL REFERENCES perspectives (id),
    theme_id BIGINT REFERENCES themes (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    weight DOUBLE PRECISION NOT NULL CHECK (weight > 0),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (ecosystem_id, code)
);
CREATE INDEX objectives_perspective ON objectives (perspective_id);

CREATE TABLE objective_responsibles (
    objective_id BIGINT NOT NULL REFERENCES objectives (id),
    actor_id BIGINT NOT NULL REFERENCES actors (id),
    PRIMARY KEY (objective_id, actor_id)
);

CREATE TABLE objective_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ecosystem_id BIGINT NOT NULL REFERENCES ecosystems (id),
    cause_id BIGINT NOT NULL REFERENCES objectives (id),
    effect_id BIGINT NOT NULL REFERENCES objectives (id),
    description TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (cause_id, effect_id),
    CHECK (cause_id <> effect_id)
);
CREATE INDEX objective_links_ecosystem ON objective_links (ecosystem_id);
CREATE INDEX objective_links_effect ON objective_links (effect_id);
