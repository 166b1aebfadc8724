-- kinko PostgreSQL schema, version 7: webhook subscriptions (`kinko webhook`).
-- `config` is kinko-core's JSON (URL or URL reference, filter, creator),
-- read and written whole; secrets are sealed under the root key. The
-- delivery columns say how far along the change feed the subscription has
-- been delivered and how its current retry stands.
CREATE TABLE webhooks (
    id                      TEXT    NOT NULL PRIMARY KEY,
    config                  TEXT    NOT NULL,
    sealed_secret           BYTEA    NOT NULL,
    previous_sealed_secret  BYTEA,
    previous_until_ms       BIGINT,
    created_ms              BIGINT NOT NULL,
    status                  TEXT    NOT NULL,
    delivered_through       BIGINT NOT NULL,
    attempts                BIGINT NOT NULL,
    failing_since_ms        BIGINT,
    next_attempt_ms         BIGINT NOT NULL,
    last_error              TEXT,
    last_delivered_ms       BIGINT
);
