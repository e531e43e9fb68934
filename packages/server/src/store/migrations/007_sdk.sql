-- The browser SDK API (/sdk/v1): the web origins allowed to call it for each project (CORS), and
-- which SDK each origin runs (its bootstrap carries that vertical's RBAC policy).

CREATE TABLE sdk_allowed_origins (
  project_id text NOT NULL REFERENCES projects ON DELETE CASCADE,
  -- Serialized as browsers send it in the Origin header: scheme://host[:port], no path.
  origin     text NOT NULL,
  vertical   text NOT NULL DEFAULT 'CONSUMER' CHECK (vertical IN ('CONSUMER', 'B2B')),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (project_id, origin)
);
-- A preflight carries no credentials: it is answered by whether any project allows the origin.
CREATE INDEX sdk_allowed_origins_origin ON sdk_allowed_origins (origin);
