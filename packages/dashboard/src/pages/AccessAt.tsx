// "Did user U hold permission P at time T, and through which role?" — answered by the server from
// the policy history and the audit log of role assignments. The user or member is picked by email;
// resources and actions are suggested from the current policy but may be anything (one since removed).
import { useState, type FormEvent } from 'react';
import type { Policy, PolicyKind } from '@gatehouse/policy';
import { api } from '../api.ts';
import { DateTimeField } from '../components/datetime.tsx';
import { HeldRoles, type SubjectRole } from '../components/held-roles.tsx';
import { PersonPicker, usePersonById, type PickedPerson } from '../components/person-picker.tsx';
import { PolicyKindSwitch, policyKindOf, SUBJECT_NOUN } from '../components/policy-kind.tsx';
import { RoleTags, usePolicy } from '../components/roles-editor.tsx';
import { showSearch } from '../components/search.tsx';
import { ErrorMessage, formatTime, Loading, PageHeader, TextField, useAsync } from '../components/ui.tsx';
import { Link } from '../router.tsx';
import type { PageProps } from './types.ts';

interface AccessAnswer {
  allowed: boolean;
  at: string;
  /** Null: the project had no policy yet. */
  policy_version: number | null;
  /** Whether the user or member existed then, as far as the history knows. */
  existed: boolean;
  /** The ids of the roles held then. */
  roles: string[];
  granting_roles: SubjectRole[];
  note?: string;
}

export function AccessAtPage({ query }: PageProps) {
  const kind = policyKindOf(query);
  const idParameter = kind === 'b2b' ? 'member_id' : 'user_id';
  const question = {
    subjectId: query.get(idParameter) ?? '',
    resourceId: query.get('resource_id') ?? '',
    action: query.get('action') ?? '',
    at: query.get('at') ?? '',
  };
  const policy = usePolicy(kind);
  const who = usePersonById(kind, question.subjectId);
  const complete = Object.values(question).every((value) => value !== '');
  const answer = useAsync(
    () =>
      complete
        ? api.get<AccessAnswer>('/v1/rbac/access_at', {
            [idParameter]: question.subjectId,
            resource_id: question.resourceId,
            action: question.action,
            at: question.at,
          })
        : Promise.resolve(null),
    [query.toString()],
  );
  return (
    <>
      <PageHeader title="Access at a time">
        <PolicyKindSwitch kind={kind} path="/access-at" />
      </PageHeader>
      <p className="muted">
        Did a {SUBJECT_NOUN[kind].one} hold a permission at a moment in the past, and through which role? The answer replays the policy history
        and the recorded role assignments.
      </p>
      <AccessForm key={`${query.toString()} ${who.data?.email ?? ''}`} kind={kind} policy={policy.data} initial={question} known={who.data ?? null} />
      <ErrorMessage error={answer.error} />
      {answer.loading && complete && <Loading />}
      {answer.data && !answer.loading && <AccessAnswerView kind={kind} question={question} email={who.data?.email} answer={answer.data} />}
    </>
  );
}

function AccessForm({ kind, policy, initial, known }: {
  kind: PolicyKind;
  policy: Policy | undefined;
  /** Who the id in the URL is. */
  known: PickedPerson | null;
  initial: { subjectId: string; resourceId: string; action: string; at: string };
}) {
  const [chosen, setChosen] = useState<PickedPerson | null>(known);
  const subjectId = chosen?.id ?? '';
  const [resourceId, setResourceId] = useState(initial.resourceId);
  const [action, setAction] = useState(initial.action);
  const [at, setAt] = useState(initial.at || new Date().toISOString());
  const actions = policy?.resources.find((resource) => resource.resource_id === resourceId)?.actions ?? [];
  const submit = (event: FormEvent) => {
    event.preventDefault();
    showSearch('/access-at', { kind: kind === 'b2b' ? 'b2b' : '', [kind === 'b2b' ? 'member_id' : 'user_id']: subjectId, resource_id: resourceId, action, at });
  };
  return (
    <form className="toolbar" onSubmit={submit} aria-label="Question">
      <PersonPicker kind={kind} label={kind === 'b2b' ? 'Member' : 'User'} value={chosen} onChange={setChosen} />
      <TextField label="Resource" required list="access-resources" value={resourceId} onChange={(event) => setResourceId(event.target.value)} />
      <datalist id="access-resources">
        {policy?.resources.map((resource) => <option key={resource.resource_id} value={resource.resource_id} />)}
      </datalist>
      <TextField label="Action" required list="access-actions" value={action} onChange={(event) => setAction(event.target.value)} />
      <datalist id="access-actions">
        {actions.map((candidate) => (
          <option key={candidate} value={candidate} />
        ))}
      </datalist>
      <DateTimeField label="At" required value={at} onChange={setAt} />
      <button type="submit" className="primary" disabled={subjectId === ''}>
        Ask
      </button>
    </form>
  );
}

function AccessAnswerView({ kind, question, email, answer }: {
  kind: PolicyKind;
  email: string | undefined;
  question: { subjectId: string; resourceId: string; action: string };
  answer: AccessAnswer;
}) {
  return (
    <section className="panel" aria-labelledby="access-answer">
      <h2 id="access-answer" className={answer.allowed ? 'verdict allowed' : 'verdict denied'}>
        {answer.allowed ? 'Yes' : 'No'}: {email ?? <code>{question.subjectId}</code>} {answer.allowed ? 'could' : 'could not'}{' '}
        <code>
          {question.action}
        </code>{' '}
        on <code>{question.resourceId}</code> at {formatTime(answer.at)}
      </h2>
      {answer.note ? <p>{answer.note}</p> : !answer.existed && <p>The {SUBJECT_NOUN[kind].one} did not exist then.</p>}
      <dl className="facts">
        <dt>Policy version in force</dt>
        <dd>
          {answer.policy_version === null ? (
            'none (before the first version)'
          ) : (
            <Link to={`/policy/history${kind === 'b2b' ? '?kind=b2b' : ''}`}>version {answer.policy_version}</Link>
          )}
        </dd>
        <dt>Granted through</dt>
        <dd>{answer.granting_roles.length > 0 ? <HeldRoles roles={answer.granting_roles} /> : <span className="muted">no role</span>}</dd>
        <dt>Roles held then</dt>
        <dd>{answer.roles.length > 0 ? <RoleTags roleIds={answer.roles} /> : <span className="muted">none</span>}</dd>
      </dl>
    </section>
  );
}
