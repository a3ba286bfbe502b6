-- Two-factor: the last TOTP time step a member used (a code is accepted once), and the
-- wrong second-factor codes entered on a pending session (5 end it).

ALTER TABLE members ADD COLUMN totp_last_step BIGINT;
ALTER TABLE sessions ADD COLUMN mfa_failures BIGINT NOT NULL DEFAULT 0;
