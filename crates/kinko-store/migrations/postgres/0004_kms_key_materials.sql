-- kinko PostgreSQL schema, version 4: KMS key rotation. A key's original
-- material stays in kms_keys.wrapped_material; every rotation adds one row
-- here (never updated), the highest version being the current material.

CREATE TABLE kms_key_materials (
    region           TEXT COLLATE "C" NOT NULL,
    key_id           TEXT COLLATE "C" NOT NULL,
    version          BIGINT  NOT NULL,
    material_id      TEXT    NOT NULL,
    wrapped_material BYTEA   NOT NULL,
    rotation_type    TEXT    NOT NULL,
    created_ms       BIGINT  NOT NULL,
    PRIMARY KEY (region, key_id, version),
    FOREIGN KEY (region, key_id) REFERENCES kms_keys (region, key_id) ON DELETE CASCADE
);
