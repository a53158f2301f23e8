ALTER TABLE ecosystems DROP COLUMN illustrative;
