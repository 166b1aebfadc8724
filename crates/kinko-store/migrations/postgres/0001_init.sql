-- kinko PostgreSQL schema, version 1: the same tables as the SQLite schema
-- (migrations/sqlite/0001 + 0002), in one step.
--
-- Every value column holds sealed ciphertext (BYTEA); nothing here is plaintext.
-- Text keys use COLLATE "C" so that names order and compare bytewise, as in
-- SQLite: paging cursors and prefix ranges must mean the same on both backends.
-- Numbers are BIGINT (versions are u32, times are Unix milliseconds).

CREATE TABLE parameters (
    region         TEXT COLLATE "C" NOT NULL,
    name           TEXT COLLATE "C" NOT NULL,
    display_name   TEXT   NOT NULL,
    latest_version BIGINT NOT NULL,
    PRIMARY KEY (region, name)
);

CREATE TABLE parameter_versions (
    region          TEXT COLLATE "C" NOT NULL,
    name            TEXT COLLATE "C" NOT NULL,
    version         BIGINT NOT NULL,
    value           BYTEA  NOT NULL,
    parameter_type  TEXT   NOT NULL,
    key_id          TEXT,
    description     TEXT,
    allowed_pattern TEXT,
    tier            TEXT   NOT NULL,
    policies        TEXT,
    data_type       TEXT   NOT NULL,
    modified_ms     BIGINT NOT NULL,
    modified_user   TEXT   NOT NULL,
    PRIMARY KEY (region, name, version),
    FOREIGN KEY (region, name) REFERENCES parameters (region, name) ON DELETE CASCADE
);

CREATE TABLE parameter_labels (
    region  TEXT COLLATE "C" NOT NULL,
    name    TEXT COLLATE "C" NOT NULL,
    label   TEXT COLLATE "C" NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (region, name, label),
    FOREIGN KEY (region, name, version)
        REFERENCES parameter_versions (region, name, version) ON DELETE CASCADE
);

-- Labels are read per version (the hot GetParameter path) and the foreign key
-- needs an index on the child columns for cascades.
CREATE INDEX parameter_labels_by_version ON parameter_labels (region, name, version, label);

CREATE TABLE parameter_tags (
    region TEXT COLLATE "C" NOT NULL,
    name   TEXT COLLATE "C" NOT NULL,
    key    TEXT COLLATE "C" NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (region, name, key),
    FOREIGN KEY (region, name) REFERENCES parameters (region, name) ON DELETE CASCADE
);

CREATE TABLE kms_keys (
    region           TEXT COLLATE "C" NOT NULL,
    key_id           TEXT COLLATE "C" NOT NULL,
    wrapped_material BYTEA   NOT NULL,
    description      TEXT    NOT NULL,
    enabled          BOOLEAN NOT NULL,
    key_manager      TEXT    NOT NULL,
    created_ms       BIGINT  NOT NULL,
    metadata         TEXT    NOT NULL,
    PRIMARY KEY (region, key_id)
);

CREATE TABLE kms_aliases (
    region     TEXT COLLATE "C" NOT NULL,
    alias      TEXT COLLATE "C" NOT NULL,
    key_id     TEXT COLLATE "C" NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (region, alias),
    FOREIGN KEY (region, key_id) REFERENCES kms_keys (region, key_id) ON DELETE CASCADE
);

CREATE INDEX kms_aliases_by_key ON kms_aliases (region, key_id);

CREATE TABLE access_keys (
    access_key_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    principal_arn TEXT    NOT NULL,
    sealed_secret BYTEA   NOT NULL,
    active        BOOLEAN NOT NULL,
    created_ms    BIGINT  NOT NULL
);

CREATE TABLE meta (
    key   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    value BYTEA NOT NULL
);

-- Secrets Manager secrets. Versions, their staging labels and the tags
-- cascade with the secret.
CREATE TABLE secrets (
    region           TEXT COLLATE "C" NOT NULL,
    name             TEXT COLLATE "C" NOT NULL,
    arn              TEXT    NOT NULL,
    description      TEXT,
    kms_key_id       TEXT,
    tagged           BOOLEAN NOT NULL,
    resource_policy  TEXT,
    created_ms       BIGINT  NOT NULL,
    last_changed_ms  BIGINT  NOT NULL,
    last_accessed_ms BIGINT,
    deleted_ms       BIGINT,
    deletion_date_ms BIGINT,
    primary_region   TEXT,
    metadata         TEXT    NOT NULL,
    revision         BIGINT  NOT NULL,
    PRIMARY KEY (region, name)
);

-- The purge job scans every region for due deletions.
CREATE INDEX secrets_by_deletion_date ON secrets (deletion_date_ms)
    WHERE deletion_date_ms IS NOT NULL;

-- Tags keep the order they were first added in (`position`), as AWS does.
CREATE TABLE secret_tags (
    region   TEXT COLLATE "C" NOT NULL,
    name     TEXT COLLATE "C" NOT NULL,
    position BIGINT NOT NULL,
    key      TEXT   NOT NULL,
    value    TEXT   NOT NULL,
    PRIMARY KEY (region, name, position),
    FOREIGN KEY (region, name) REFERENCES secrets (region, name) ON DELETE CASCADE
);

-- `seq` orders versions created in the same millisecond (SQLite's rowid);
-- an upsert keeps it.
CREATE TABLE secret_versions (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY,
    region           TEXT COLLATE "C" NOT NULL,
    name             TEXT COLLATE "C" NOT NULL,
    version_id       TEXT COLLATE "C" NOT NULL,
    value            BYTEA   NOT NULL,
    is_binary        BOOLEAN NOT NULL,
    created_ms       BIGINT  NOT NULL,
    last_accessed_ms BIGINT,
    kms_key_id       TEXT,
    PRIMARY KEY (region, name, version_id),
    FOREIGN KEY (region, name) REFERENCES secrets (region, name) ON DELETE CASCADE
);

CREATE TABLE secret_version_stages (
    region     TEXT COLLATE "C" NOT NULL,
    name       TEXT COLLATE "C" NOT NULL,
    version_id TEXT COLLATE "C" NOT NULL,
    stage      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (region, name, version_id, stage),
    FOREIGN KEY (region, name, version_id)
        REFERENCES secret_versions (region, name, version_id) ON DELETE CASCADE
);
