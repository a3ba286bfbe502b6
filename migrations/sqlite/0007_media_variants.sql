-- Responsive sizes: an uploaded post image keeps narrower copies (480 and 960 px wide,
-- only those narrower than the original), each a `media` row linked to the original.
-- Served at /media/<parent id>-<width>.<ext>.

ALTER TABLE media ADD COLUMN parent_id TEXT REFERENCES media (id) ON DELETE CASCADE;
ALTER TABLE media ADD COLUMN variant_width INTEGER CHECK (variant_width > 0);

CREATE UNIQUE INDEX media_variant_of ON media (parent_id, variant_width)
    WHERE parent_id IS NOT NULL;
