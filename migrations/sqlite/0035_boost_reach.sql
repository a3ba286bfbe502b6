-- Fediverse boosts in "what brought the money" (issue 15): how many followers an account that
-- boosted one of our posts has, as its `followers` collection's `totalItems` said when it was
-- last read. NULL: not read yet, or the server hides it (unknown, not 0).
ALTER TABLE federation_remote_actors ADD COLUMN followers_count INTEGER;
ALTER TABLE federation_remote_actors ADD COLUMN followers_checked_at TEXT;
