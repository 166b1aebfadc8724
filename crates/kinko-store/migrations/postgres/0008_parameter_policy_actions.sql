-- kinko PostgreSQL schema, version 8: the actions parameter policies took
-- (ExpirationNotification, NoChangeNotification), one row per action so
-- each fires once whichever server scans; removed with their parameter.
CREATE TABLE parameter_policy_actions (
    region  TEXT    NOT NULL,
    name    TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    ran_ms  BIGINT  NOT NULL,
    PRIMARY KEY (region, name, action),
    FOREIGN KEY (region, name) REFERENCES parameters (region, name) ON DELETE CASCADE
);
