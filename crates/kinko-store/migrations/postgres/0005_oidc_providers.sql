-- kinko PostgreSQL schema, version 4: OpenID Connect identity providers
-- (the same change as migrations/sqlite/0005). `config` is the provider's
-- JSON (issuer URL, client ids, JWKS): read and written whole, never queried.
CREATE TABLE oidc_providers (
    arn        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    config     TEXT   NOT NULL,
    created_ms BIGINT NOT NULL
);
