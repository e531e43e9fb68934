-- Registered redirect URLs (Stytch's "Redirect URLs"): where a magic link, invite, password reset or
-- SSO sign-in may send its token. A URL a caller passes must equal one registered for the flow's
-- type; an omitted one takes the type's default (redirect-urls/service.ts).

CREATE TABLE redirect_urls (
  project_id text NOT NULL REFERENCES projects ON DELETE CASCADE,
  -- As WHATWG URL serializes it (lower-case scheme and host, no default port): what is compared.
  url        text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (project_id, url)
);

CREATE TABLE redirect_url_types (
  project_id text NOT NULL,
  url        text NOT NULL,
  type       text NOT NULL CHECK (type IN ('LOGIN', 'SIGNUP', 'INVITE', 'RESET_PASSWORD', 'DISCOVERY')),
  is_default boolean NOT NULL DEFAULT false,
  PRIMARY KEY (project_id, url, type),
  FOREIGN KEY (project_id, url) REFERENCES redirect_urls ON DELETE CASCADE
);
-- At most one default per type.
CREATE UNIQUE INDEX redirect_url_types_default ON redirect_url_types (project_id, type) WHERE is_default;
