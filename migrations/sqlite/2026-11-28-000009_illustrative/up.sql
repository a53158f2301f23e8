-- Ecosystems loaded from the demo seed say so: the portal labels their figures illustrative,
-- and only theirs. Ecosystems stored before keep FALSE. (This release also starts audit record
-- format 2, whose seal snapshots every row after all migrations: the flag is in every state.)
ALTER TABLE ecosystems ADD COLUMN illustrative BOOLEAN NOT NULL DEFAULT 0;
