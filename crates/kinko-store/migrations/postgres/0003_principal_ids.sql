-- kinko PostgreSQL schema, version 3: every principal gets a unique id, as
-- IAM gives one (AIDA… for users, AROA… for roles, then 17 characters of
-- A-Z and 2-7). A role deleted and created again under the same name gets a
-- new id, so sessions bound to the old id stop working (the same change as
-- migrations/sqlite/0004).

ALTER TABLE principals ADD COLUMN unique_id TEXT COLLATE "C";

-- Existing rows get a random id now. The subquery names the outer row, so
-- it is evaluated (and random() drawn) once per row.
UPDATE principals SET unique_id =
    (CASE kind WHEN 'Role' THEN 'AROA' ELSE 'AIDA' END) ||
    (SELECT string_agg(substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 1 + floor(random() * 32)::int, 1), '')
     FROM generate_series(1, 17) WHERE principals.name IS NOT NULL);

ALTER TABLE principals ALTER COLUMN unique_id SET NOT NULL;
ALTER TABLE principals ADD CONSTRAINT principals_unique_id_key UNIQUE (unique_id);
