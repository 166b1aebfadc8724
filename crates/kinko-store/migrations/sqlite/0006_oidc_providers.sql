-- kinko SQLite schema, version 5: OpenID Connect identity providers
-- (IAM's CreateOpenIDConnectProvider), which AssumeRoleWithWebIdentity
-- checks tokens against. `config` is the provider's JSON (issuer URL,
-- client ids, JWKS): read and written whole, never queried.
CREATE TABLE oidc_providers (
    arn        TEXT    NOT NULL PRIMARY KEY,
    config     TEXT    NOT NULL,
    created_ms INTEGER NOT NULL
) WITHOUT ROWID;
