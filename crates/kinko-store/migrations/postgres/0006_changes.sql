-- kinko PostgreSQL schema, version 6: the change feed (the same change as
-- migrations/sqlite/0007). Appenders take the `change_head` row lock as the
-- last step of their transaction and hold it to commit, so numbers are
-- given out in commit order and a reader never skips a late commit.
CREATE TABLE changes (
    seq       BIGINT NOT NULL PRIMARY KEY,
    time_ms   BIGINT NOT NULL,
    region    TEXT   NOT NULL,
    account   TEXT   NOT NULL,
    source    TEXT   NOT NULL,
    operation TEXT   NOT NULL,
    resource  TEXT   NOT NULL,
    name      TEXT   NOT NULL,
    version   TEXT,
    actor     TEXT   NOT NULL,
    detail    TEXT   NOT NULL
);
CREATE INDEX changes_by_time ON changes (time_ms);

CREATE TABLE change_head (
    id              INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    seq             BIGINT  NOT NULL,
    trimmed_through BIGINT  NOT NULL
);
INSERT INTO change_head (id, seq, trimmed_through) VALUES (1, 0, 0);
