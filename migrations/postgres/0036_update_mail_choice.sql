-- E-mail updates (issue 15): each campaign post says whether it goes by e-mail to the
-- campaign's subscribers when it is first published ("Publish and e-mail" or "Publish
-- only"). Posts written before keep the behaviour they had: mailed.
ALTER TABLE posts ADD COLUMN mail_subscribers BOOLEAN NOT NULL DEFAULT TRUE;
