-- kinko PostgreSQL schema, version 2: principals, their inline policies,
-- access-key management, and the hash-chained audit log (the same tables as
-- migrations/sqlite/0003).

-- Rotation retires a key at a time; last use is written in batches.
ALTER TABLE access_keys ADD COLUMN retire_ms BIGINT;
ALTER TABLE access_keys ADD COLUMN last_used_ms BIGINT;
ALTER TABLE access_keys ADD COLUMN last_used_operation TEXT;

-- Listing a principal's keys and counting its usable ones.
CREATE INDEX access_keys_by_principal ON access_keys (principal_arn, created_ms, access_key_id);

-- Users and roles; names are unique across both kinds, and so are ARNs.
-- Tags are a JSON array of {"key","value"} sorted by key: always read and
-- written whole, never queried (TEXT, not JSONB, so they read back byte for byte).
CREATE TABLE principals (
    name         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    kind         TEXT   NOT NULL,
    arn          TEXT COLLATE "C" NOT NULL UNIQUE,
    tags         TEXT   NOT NULL,
    trust_policy TEXT,
    created_ms   BIGINT NOT NULL
);

-- Inline identity policies, removed with their principal.
CREATE TABLE principal_policies (
    principal_arn TEXT COLLATE "C" NOT NULL,
    name          TEXT COLLATE "C" NOT NULL,
    document      TEXT   NOT NULL,
    updated_ms    BIGINT NOT NULL,
    PRIMARY KEY (principal_arn, name),
    FOREIGN KEY (principal_arn) REFERENCES principals (arn) ON DELETE CASCADE
);

-- The audit chain. `seq` runs 1, 2, 3, … in append order; each row carries
-- the hash of the row before. Deliberately no constraint beyond the primary
-- key: `kinko audit verify` must be able to find tampering, not the schema
-- prevent the tests from doing it.
CREATE TABLE audit_log (
    seq       BIGINT NOT NULL PRIMARY KEY,
    time_ms   BIGINT NOT NULL,
    record    TEXT   NOT NULL,
    prev_hash TEXT   NOT NULL,
    hash      TEXT   NOT NULL
);

-- No index on time_ms: queries walk the log by seq (every append would
-- otherwise update a second b-tree, measured at a few % of a GetParameter).

-- The chain head: one row, locked (SELECT … FOR UPDATE) and moved by every
-- append in the same transaction, which serialises appenders across servers.
-- seq 0 with the genesis hash means nothing was appended yet.
CREATE TABLE audit_head (
    id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    seq  BIGINT  NOT NULL,
    hash TEXT    NOT NULL
);

INSERT INTO audit_head (id, seq, hash)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
