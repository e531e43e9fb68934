// The RBAC policy API's response shapes: policy changes with their summaries, and a policy write's answer.
import { describePolicyChange, type PolicyChange } from '@gatehouse/policy';
import { ok } from '../http/app.ts';
import type { PolicyWriteResult } from './service.ts';

export function describeChanges(changes: PolicyChange[]) {
  return changes.map((change) => ({ ...change, summary: describePolicyChange(change) }));
}

/** The answer of every policy write (history-routes.ts's rollback too). */
export function writtenResponse(request: Parameters<typeof ok>[0], result: PolicyWriteResult) {
  return ok(request, {
    policy: result.policy,
    policy_version: result.version,
    written: result.written,
    changes: describeChanges(result.changes),
    revoked_assignments: result.revoked_assignments,
  });
}
