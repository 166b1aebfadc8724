-- kinko SQLite schema, version 8: webhook subscriptions (`kinko webhook`).
-- `config` is kinko-core's JSON (URL or URL reference, filter, creator),
-- read and written whole; secrets are sealed under the root key. The
-- delivery columns say how far along the change feed the subscription has
-- been delivered and how its current retry stands.
CREATE TABLE webhooks (
    id                      TEXT    NOT NULL PRIMARY KEY,
    config                  TEXT    NOT NULL,
    sealed_secret           BLOB    NOT NULL,
    previous_sealed_secret  BLOB,
    previous_until_ms       INTEGER,
    created_ms              INTEGER NOT NULL,
    status                  TEXT    NOT NULL,
    delivered_through       INTEGER NOT NULL,
    attempts                INTEGER NOT NULL,
    failing_since_ms        INTEGER,
    next_attempt_ms         INTEGER NOT NULL,
    last_error              TEXT,
    last_delivered_ms       INTEGER
) WITHOUT ROWID;
