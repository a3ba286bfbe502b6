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
    version BIGINT NOT NULL
);
INSERT INTO blog_version (id, version) VALUES (1, 1);

-- Bumps once per transaction however many rows it writes (an import writes thousands):
-- later calls in the same transaction see the transaction-local marker and do nothing, so
-- the row is not rewritten thousands of times. The marker is the transaction's own id, so
-- a marker left in a pooled session by an earlier transaction never matches.
CREATE FUNCTION blog_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('shelfraiser.blog_version_bumped', true) IS DISTINCT FROM txid_current()::text THEN
        UPDATE blog_version SET version = version + 1 WHERE id = 1;
        PERFORM set_config('shelfraiser.blog_version_bumped', txid_current()::text, true);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER blog_version_posts_insert AFTER INSERT ON posts FOR EACH ROW WHEN (NEW.status = 'published')
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_posts_update AFTER UPDATE ON posts FOR EACH ROW WHEN (OLD.status = 'published' OR NEW.status = 'published')
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_posts_delete AFTER DELETE ON posts FOR EACH ROW WHEN (OLD.status = 'published')
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_comments_insert AFTER INSERT ON comments FOR EACH ROW WHEN (NEW.status = 'approved')
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_comments_update AFTER UPDATE ON comments FOR EACH ROW WHEN (OLD.status = 'approved' OR NEW.status = 'approved')
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_comments_delete AFTER DELETE ON comments FOR EACH ROW WHEN (OLD.status = 'approved')
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_likes_insert AFTER INSERT ON likes FOR EACH ROW
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_likes_update AFTER UPDATE ON likes FOR EACH ROW
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_likes_delete AFTER DELETE ON likes FOR EACH ROW
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_terms_insert AFTER INSERT ON terms FOR EACH ROW
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_terms_update AFTER UPDATE ON terms FOR EACH ROW
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_terms_delete AFTER DELETE ON terms FOR EACH ROW
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_post_terms_insert AFTER INSERT ON post_terms FOR EACH ROW
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_post_terms_update AFTER UPDATE ON post_terms FOR EACH ROW
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_post_terms_delete AFTER DELETE ON post_terms FOR EACH ROW
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_members_update AFTER UPDATE ON members FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_campaigns_update AFTER UPDATE ON campaigns FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.slug IS DISTINCT FROM NEW.slug OR (OLD.state = 'draft') <> (NEW.state = 'draft'))
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_campaigns_delete AFTER DELETE ON campaigns FOR EACH ROW
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_media_insert AFTER INSERT ON media FOR EACH ROW
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_media_update AFTER UPDATE ON media FOR EACH ROW
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_media_delete AFTER DELETE ON media FOR EACH ROW
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_settings_insert AFTER INSERT ON settings FOR EACH ROW
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_settings_update AFTER UPDATE ON settings FOR EACH ROW
    EXECUTE FUNCTION blog_version_bump();
CREATE TRIGGER blog_version_settings_delete AFTER DELETE ON settings FOR EACH ROW
    EXECUTE FUNCTION blog_version_bump();

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
