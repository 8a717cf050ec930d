-- Small objects keep their bytes in the row (`segments` is then '[]'):
-- a blob file and its fsyncs per tiny object cost more than the object.
-- The column comes last so that listings, which never read it, find every
-- other column in the row's first page.
ALTER TABLE objects ADD COLUMN inline BLOB;
