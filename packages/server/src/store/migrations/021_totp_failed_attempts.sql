-- TOTP brute force (totps/registrations.ts): every try at a registration's code is counted before
-- it is compared; the MAX_TOTP_ATTEMPTS-th try without a right code locks the registration until
-- locked_until (TOTP_LOCK_MINUTES); a right code resets the count.
ALTER TABLE totp_registrations ADD COLUMN failed_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE totp_registrations ADD COLUMN locked_until timestamptz;
