-- kinko SQLite schema, version 1.
-- Every value column holds sealed ciphertext (BLOB); nothing here is plaintext.
-- Parameter rows cascade: deleting a parameter removes its versions, labels and
-- tags, so a re-created parameter starts clean at version 1.

CREATE TABLE parameters (
    region         TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    display_name   TEXT    NOT NULL,
    latest_version INTEGER NOT NULL,
    PRIMARY KEY (region, name)
) WITHOUT ROWID;

CREATE TABLE parameter_versions (
    region          TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    value           BLOB    NOT NULL,
    parameter_type  TEXT    NOT NULL,
    key_id          TEXT,
    description     TEXT,
    allowed_pattern TEXT,
    tier            TEXT    NOT NULL,
    policies        TEXT,
    data_type       TEXT    NOT NULL,
    modified_ms     INTEGER NOT NULL,
    modified_user   TEXT    NOT NULL,
    PRIMARY KEY (region, name, version),
    FOREIGN KEY (region, name) REFERENCES parameters (region, name) ON DELETE CASCADE
);

CREATE TABLE parameter_labels (
    region  TEXT    NOT NULL,
    name    TEXT    NOT NULL,
    label   TEXT    NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (region, name, label),
    FOREIGN KEY (region, name, version)
        REFERENCES parameter_versions (region, name, version) ON DELETE CASCADE
) WITHOUT ROWID;

-- Labels are read per version (the hot GetParameter path) and the foreign key
-- needs an index on the child columns for cascades.
CREATE INDEX parameter_labels_by_version ON parameter_labels (region, name, version, label);

CREATE TABLE parameter_tags (
    region TEXT NOT NULL,
    name   TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (region, name, key),
    FOREIGN KEY (region, name) REFERENCES parameters (region, name) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE kms_keys (
    region           TEXT    NOT NULL,
    key_id           TEXT    NOT NULL,
    wrapped_material BLOB    NOT NULL,
    description      TEXT    NOT NULL,
    enabled          INTEGER NOT NULL,
    key_manager      TEXT    NOT NULL,
    created_ms       INTEGER NOT NULL,
    metadata         TEXT    NOT NULL,
    PRIMARY KEY (region, key_id)
);

CREATE TABLE kms_aliases (
    region     TEXT    NOT NULL,
    alias      TEXT    NOT NULL,
    key_id     TEXT    NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (region, alias),
    FOREIGN KEY (region, key_id) REFERENCES kms_keys (region, key_id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE INDEX kms_aliases_by_key ON kms_aliases (region, key_id);

CREATE TABLE access_keys (
    access_key_id TEXT    NOT NULL PRIMARY KEY,
    principal_arn TEXT    NOT NULL,
    sealed_secret BLOB    NOT NULL,
    active        INTEGER NOT NULL,
    created_ms    INTEGER NOT NULL
);

CREATE TABLE meta (
    key   TEXT NOT NULL PRIMARY KEY,
    value BLOB NOT NULL
);
