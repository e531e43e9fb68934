-- Secrets Gatehouse must read back are stored sealed (AES-256-GCM under GATEHOUSE_ENCRYPTION_KEY,
-- `v1:<key id>:<iv>:<ciphertext>`), bound to their row. The plaintext columns are emptied at start by
-- the server, which has the key; SQL alone cannot seal.

-- The private half of a signing key: sealed JWK; `private_jwk` stays only until the first start.
ALTER TABLE signing_keys ADD COLUMN private_jwk_encrypted text;
ALTER TABLE signing_keys ALTER COLUMN private_jwk DROP NOT NULL;
ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_private_key CHECK (private_jwk IS NOT NULL OR private_jwk_encrypted IS NOT NULL);

-- The OIDC client secret, taken out of `config` (which keeps the connection's public settings).
ALTER TABLE sso_connections ADD COLUMN client_secret_encrypted text;
