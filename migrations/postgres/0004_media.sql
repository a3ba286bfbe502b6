-- Uploaded images (campaign covers), kept in the database so every app node serves them.
-- The bytes are re-encoded on upload (metadata stripped, at most 1600 px wide).

CREATE TABLE media (
    id           TEXT PRIMARY KEY,
    content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    bytes        BYTEA NOT NULL,
    width        BIGINT NOT NULL CHECK (width > 0),
    height       BIGINT NOT NULL CHECK (height > 0),
    created_by   TEXT,
    created_at   TIMESTAMPTZ NOT NULL
);
