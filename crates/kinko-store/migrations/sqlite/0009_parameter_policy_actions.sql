-- kinko SQLite schema, version 9: the actions parameter policies took
-- (ExpirationNotification, NoChangeNotification), one row per action so
-- each fires once; removed with their parameter.
CREATE TABLE parameter_policy_actions (
    region  TEXT    NOT NULL,
    name    TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    ran_ms  INTEGER NOT NULL,
    PRIMARY KEY (region, name, action),
    FOREIGN KEY (region, name) REFERENCES parameters (region, name) ON DELETE CASCADE
) WITHOUT ROWID;
