-- Secrets Manager secrets. Values are sealed BLOBs, as everywhere.
-- Versions, their staging labels and the tags cascade with the secret.

CREATE TABLE secrets (
    region           TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    arn              TEXT    NOT NULL,
    description      TEXT,
    kms_key_id       TEXT,
    tagged           INTEGER NOT NULL,
    resource_policy  TEXT,
    created_ms       INTEGER NOT NULL,
    last_changed_ms  INTEGER NOT NULL,
    last_accessed_ms INTEGER,
    deleted_ms       INTEGER,
    deletion_date_ms INTEGER,
    primary_region   TEXT,
    metadata         TEXT    NOT NULL,
    revision         INTEGER NOT NULL,
    PRIMARY KEY (region, name)
) WITHOUT ROWID;

-- The purge job scans every region for due deletions.
CREATE INDEX secrets_by_deletion_date ON secrets (deletion_date_ms)
    WHERE deletion_date_ms IS NOT NULL;

-- Tags keep the order they were first added in (`position`), as AWS does.
CREATE TABLE secret_tags (
    region   TEXT    NOT NULL,
    name     TEXT    NOT NULL,
    position INTEGER NOT NULL,
    key      TEXT    NOT NULL,
    value    TEXT    NOT NULL,
    PRIMARY KEY (region, name, position),
    FOREIGN KEY (region, name) REFERENCES secrets (region, name) ON DELETE CASCADE
) WITHOUT ROWID;

-- A rowid table: the rowid orders versions created in the same millisecond.
CREATE TABLE secret_versions (
    region           TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    version_id       TEXT    NOT NULL,
    value            BLOB    NOT NULL,
    is_binary        INTEGER NOT NULL,
    created_ms       INTEGER NOT NULL,
    last_accessed_ms INTEGER,
    kms_key_id       TEXT,
    UNIQUE (region, name, version_id),
    FOREIGN KEY (region, name) REFERENCES secrets (region, name) ON DELETE CASCADE
);

CREATE TABLE secret_version_stages (
    region     TEXT NOT NULL,
    name       TEXT NOT NULL,
    version_id TEXT NOT NULL,
    stage      TEXT NOT NULL,
    PRIMARY KEY (region, name, version_id, stage),
    FOREIGN KEY (region, name, version_id)
        REFERENCES secret_versions (region, name, version_id) ON DELETE CASCADE
) WITHOUT ROWID;
