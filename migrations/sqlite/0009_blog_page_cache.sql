-- SPDX-License-Identifier: AGPL-3.0-or-later
-- The public blog pages' cache (src/blog/cache.rs) and the indexes its listings walk.
--
-- `blog_version` is one row. Triggers bump it in the same transaction as every change that
-- can alter a public blog page: posts that are or were published, comments that are or
-- were approved, likes, terms and their links to posts, authors' names, campaigns' titles,
-- slugs and draft state (a post links its campaign), media (image sizes) and site settings.
-- Each node reads it before serving a kept page, so whoever writes (any node, the CLI, the
-- importer, SQL by hand) invalidates every node's pages.

CREATE TABLE blog_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO blog_version (id, version) VALUES (1, 1);

CREATE TRIGGER blog_version_posts_insert AFTER INSERT ON posts WHEN NEW.status = 'published' BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_posts_update AFTER UPDATE ON posts WHEN OLD.status = 'published' OR NEW.status = 'published' BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_posts_delete AFTER DELETE ON posts WHEN OLD.status = 'published' BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_comments_insert AFTER INSERT ON comments WHEN NEW.status = 'approved' BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_comments_update AFTER UPDATE ON comments WHEN OLD.status = 'approved' OR NEW.status = 'approved' BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_comments_delete AFTER DELETE ON comments WHEN OLD.status = 'approved' BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_likes_insert AFTER INSERT ON likes BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_likes_update AFTER UPDATE ON likes BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_likes_delete AFTER DELETE ON likes BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_terms_insert AFTER INSERT ON terms BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_terms_update AFTER UPDATE ON terms BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_terms_delete AFTER DELETE ON terms BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_post_terms_insert AFTER INSERT ON post_terms BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_post_terms_update AFTER UPDATE ON post_terms BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_post_terms_delete AFTER DELETE ON post_terms BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_members_update AFTER UPDATE ON members WHEN OLD.display_name IS NOT NEW.display_name BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_campaigns_update AFTER UPDATE ON campaigns WHEN OLD.title IS NOT NEW.title OR OLD.slug IS NOT NEW.slug OR (OLD.state = 'draft') <> (NEW.state = 'draft') BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_campaigns_delete AFTER DELETE ON campaigns BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_media_insert AFTER INSERT ON media BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_media_update AFTER UPDATE ON media BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_media_delete AFTER DELETE ON media BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_settings_insert AFTER INSERT ON settings BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_settings_update AFTER UPDATE ON settings BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_settings_delete AFTER DELETE ON settings BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;

-- The blog home puts sticky posts first: they are read on their own, through this small
-- index, and the rest through posts_public_order (0008), so no listing sorts every post.
CREATE INDEX posts_sticky ON posts (status, published_at DESC, id) WHERE sticky;
-- Author and campaign listings in the listings' order (newest first, then id).
DROP INDEX posts_author;
CREATE INDEX posts_author ON posts (author_id, status, published_at DESC, id);
DROP INDEX posts_campaign;
CREATE INDEX posts_campaign ON posts (campaign_id, status, published_at DESC, id);
-- A tag or category with few posts is listed from its post_terms rows: both lookups are
-- covered by an index (no table row, however long the post's body, is read to sort).
DROP INDEX post_terms_term;
CREATE INDEX post_terms_term ON post_terms (term_id, post_id);
CREATE INDEX posts_public_by_id ON posts (id, status, published_at, kind);
