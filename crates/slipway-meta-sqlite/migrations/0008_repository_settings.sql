-- ECR repository settings beyond plain tag mutability and scan-on-push:
-- `mutability_exclusions` is the JSON list of wildcard filters naming the
-- tags that behave the other way from `tags_mutable`; the encryption
-- configuration is kept as set (existing repositories were AES256).
ALTER TABLE repositories ADD COLUMN mutability_exclusions TEXT NOT NULL DEFAULT '[]';
ALTER TABLE repositories ADD COLUMN encryption_type TEXT NOT NULL DEFAULT 'AES256';
ALTER TABLE repositories ADD COLUMN kms_key TEXT;
