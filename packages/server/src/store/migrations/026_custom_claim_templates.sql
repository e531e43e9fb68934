-- Custom claim templates (claims/): the project's session template, Stytch's markup — JSON whose
-- values may be {{ user.… }} / {{ member.… }} / {{ organization.… }} — rendered into every session
-- JWT at mint. One row per project; none: no template.
CREATE TABLE custom_claim_templates (
  project_id        text PRIMARY KEY REFERENCES projects ON DELETE CASCADE,
  template_content  text NOT NULL,
  updated_at        timestamptz NOT NULL
);
