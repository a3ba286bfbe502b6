-- Writing without losing work (issue 11).
--
-- 1. A post's featured image gets its description (alt text, og:image:alt); NULL: it only
--    decorates.
ALTER TABLE posts ADD COLUMN featured_image_alt TEXT;

-- 2. Revisions of posts and campaign stories (src/revisions/): the title and text after every
--    save that changed them ('save') and every restore of an older one ('restore'), with who
--    and when; and each member's latest autosave of an editor ('autosave': the whole form as
--    JSON in `fields`, at most one per member and editor; target_id '' for a post not yet
--    created).
CREATE TABLE revisions (
    id            TEXT PRIMARY KEY,
    target_kind   TEXT NOT NULL CHECK (target_kind IN ('post', 'campaign')),
    target_id     TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('save', 'restore', 'autosave')),
    member_id     TEXT REFERENCES members (id) ON DELETE SET NULL,
    -- Who wrote it when there is no member (the command line); the member's name otherwise.
    author        TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    fields        TEXT,
    restored_from TEXT
);
CREATE INDEX revisions_target ON revisions (target_kind, target_id, created_at);
CREATE UNIQUE INDEX revisions_autosave ON revisions (target_kind, target_id, member_id)
    WHERE kind = 'autosave';
