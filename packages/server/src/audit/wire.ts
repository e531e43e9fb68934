// The audit API's response shapes: an audit event, and an access_at answer.
import type { AccessAtAnswer } from './access-at.ts';
import type { AuditEvent } from './log.ts';

export function toWireEvent(event: AuditEvent) {
  return {
    event_id: event.event_id,
    occurred_at: event.occurred_at.toISOString(),
    action: event.action,
    actor: event.actor,
    target_type: event.target_type,
    target_id: event.target_id,
    organization_id: event.organization_id,
    before: event.before,
    after: event.after,
  };
}

export function toWireAnswer(answer: AccessAtAnswer) {
  return { ...answer, at: answer.at.toISOString(), roles: answer.roles.map((role) => role.role_id) };
}
