-- The donor wall's moderation (src/donations/moderation.rs). The ledger is append-only and a
-- donation's money fields never change; what the public wall shows of a donor's words is a
-- separate, changeable decision, kept here, one row per moderated donation (no row: shown).
--
-- * name_hidden: the wall shows "Anonymous" instead of the donor's name.
-- * message_state: 'shown' (approved or never held), 'held' (has a link and the site holds
--   such messages for review: not shown until approved), 'hidden' (hidden by the team).
--
-- Who changed what and why is in the audit log (wall.* actions), written in the same
-- transaction, which also bumps the campaign's live version so every node's cached page and
-- open live pages follow.
CREATE TABLE donation_moderation (
    donation_id   TEXT PRIMARY KEY REFERENCES donations (id),
    campaign_id   TEXT NOT NULL REFERENCES campaigns (id),
    name_hidden   BOOLEAN NOT NULL DEFAULT FALSE,
    message_state TEXT NOT NULL DEFAULT 'shown'
                  CHECK (message_state IN ('shown', 'held', 'hidden')),
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX donation_moderation_held ON donation_moderation (campaign_id)
    WHERE message_state = 'held';
