-- Hashtag days' entries from the fediverse and from Webmentions (issue 15): what names an
-- entry at its source, so that the source can take it back while it is still pending.
-- 'fediverse': the note's id (its `url` is the entry's link); 'webmention': the mention's
-- source; 'form': empty.
ALTER TABLE event_entries ADD COLUMN source_key TEXT NOT NULL DEFAULT '';
CREATE INDEX event_entries_source ON event_entries (source, source_key);
