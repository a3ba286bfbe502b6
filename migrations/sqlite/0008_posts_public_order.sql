-- Public listings (blog home, archives, feeds) are newest first: walking this index in order
-- stops after a page of posts instead of sorting every published post. `kind` makes the
-- listings' COUNT(*) covering.
CREATE INDEX posts_public_order ON posts (status, published_at DESC, id, kind);
