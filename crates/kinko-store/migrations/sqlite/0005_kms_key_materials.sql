-- kinko SQLite schema, version 5: KMS key rotation. A key's original
-- material stays in kms_keys.wrapped_material; every rotation adds one row
-- here (never updated), the highest version being the current material.

CREATE TABLE kms_key_materials (
    region           TEXT    NOT NULL,
    key_id           TEXT    NOT NULL,
    version          INTEGER NOT NULL,
    material_id      TEXT    NOT NULL,
    wrapped_material BLOB    NOT NULL,
    rotation_type    TEXT    NOT NULL,
    created_ms       INTEGER NOT NULL,
    PRIMARY KEY (region, key_id, version),
    FOREIGN KEY (region, key_id) REFERENCES kms_keys (region, key_id) ON DELETE CASCADE
) WITHOUT ROWID;
