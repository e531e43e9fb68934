-- The audit log: every change to the policy, roles, role assignments, implicit role rules, SSO
-- connections and secrets, written in the transaction of the change (audit/log.ts). History starts
-- with this migration: what existed before it has no events.

CREATE TABLE audit_events (
  -- Stable order for pagination and for replaying a subject's history (newest first = position desc).
  position        bigserial PRIMARY KEY,
  event_id        text NOT NULL UNIQUE,
  -- No reference to projects: the log outlives what it describes, and no cascade may remove it.
  project_id      text NOT NULL,
  occurred_at     timestamptz NOT NULL,
  actor_type      text NOT NULL CHECK (actor_type IN ('project_secret', 'admin', 'member_session', 'system')),
  actor_id        text NOT NULL,
  actor           jsonb NOT NULL,
  action          text NOT NULL,
  target_type     text NOT NULL,
  target_id       text NOT NULL,
  organization_id text,
  before          jsonb,
  after           jsonb
);

CREATE INDEX audit_events_project ON audit_events (project_id, position);
CREATE INDEX audit_events_action ON audit_events (project_id, action text_pattern_ops, position);
CREATE INDEX audit_events_actor ON audit_events (project_id, actor_type, actor_id, position);
-- Also what the point-in-time question replays: one subject's events in order.
CREATE INDEX audit_events_target ON audit_events (project_id, target_type, target_id, position);
CREATE INDEX audit_events_organization ON audit_events (project_id, organization_id, position) WHERE organization_id IS NOT NULL;
CREATE INDEX audit_events_time ON audit_events (project_id, occurred_at);

-- Entries are written once: no statement may change or remove one, whatever the code does.
CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_events_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
