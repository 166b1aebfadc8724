-- kinko SQLite schema, version 4: every principal gets a unique id, as IAM
-- gives one (AIDA… for users, AROA… for roles, then 17 characters of
-- A-Z and 2-7). A role deleted and created again under the same name gets a
-- new id, so sessions bound to the old id stop working.

ALTER TABLE principals ADD COLUMN unique_id TEXT NOT NULL DEFAULT '';

-- Existing rows get a random id now: 17 draws of one of the 32 characters
-- (`random() & 31` stays in 0..31 for negative numbers too). Written out
-- because SQLite evaluates an uncorrelated subquery once, not per row.
UPDATE principals SET unique_id =
    (CASE kind WHEN 'Role' THEN 'AROA' ELSE 'AIDA' END)
    || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', (random() & 31) + 1, 1)
    || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', (random() & 31) + 1, 1)
    || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', (random() & 31) + 1, 1)
    || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', (random() & 31) + 1, 1)
    || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', (random() & 31) + 1, 1)
    || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', (random() & 31) + 1, 1)
    || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', (random() & 31) + 1, 1)
    || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', (random() & 31) + 1, 1)
    || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', (random() & 31) + 1, 1)
    || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', (random() & 31) + 1, 1)
    || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', (random() & 31) + 1, 1)
    || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', (random() & 31) + 1, 1)
    || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', (random() & 31) + 1, 1)
    || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', (random() & 31) + 1, 1)
    || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', (random() & 31) + 1, 1)
    || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', (random() & 31) + 1, 1)
    || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', (random() & 31) + 1, 1);

CREATE UNIQUE INDEX principals_by_unique_id ON principals (unique_id);
