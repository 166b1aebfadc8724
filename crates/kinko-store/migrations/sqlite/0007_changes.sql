-- kinko SQLite schema, version 7: the change feed (see src/changes.rs).
-- One row per mutation, written in the mutation's transaction; never a
-- value. `change_head` gives out sequence numbers and remembers how far
-- retention has trimmed, so a reader behind it is told to resync.
CREATE TABLE changes (
    seq       INTEGER NOT NULL PRIMARY KEY,
    time_ms   INTEGER NOT NULL,
    region    TEXT    NOT NULL,
    account   TEXT    NOT NULL,
    source    TEXT    NOT NULL,
    operation TEXT    NOT NULL,
    resource  TEXT    NOT NULL,
    name      TEXT    NOT NULL,
    version   TEXT,
    actor     TEXT    NOT NULL,
    detail    TEXT    NOT NULL
);
CREATE INDEX changes_by_time ON changes (time_ms);

CREATE TABLE change_head (
    id              INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    seq             INTEGER NOT NULL,
    trimmed_through INTEGER NOT NULL
);
INSERT INTO change_head (id, seq, trimmed_through) VALUES (1, 0, 0);
