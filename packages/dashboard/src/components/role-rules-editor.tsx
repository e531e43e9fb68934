// Implicit role rules: "members whose email domain is D get role R" (organization), "everyone signing
// in through this connection gets R" and "members in IdP group G get R" (SSO connection). Each API
// takes the whole list of rules, so adding or removing one sends the list with it changed.
import { useState, type FormEvent } from 'react';
import type { Role } from '@gatehouse/policy';
import { RoleSelect } from './roles-editor.tsx';
import { DangerButton, ErrorMessage, Status, Table, TableHead, TextField, useAction } from './ui.tsx';

export type RoleRule = { role_id: string } & Partial<Record<'domain' | 'group', string>>;

/** What a rule's condition is: an email domain, an IdP group, or none (every sign-in through the connection). */
export interface RuleCondition {
  field: 'domain' | 'group';
  label: string;
  placeholder: string;
}

export function RoleRulesEditor({ title, condition, rules, roles, onSave }: {
  title: string;
  condition?: RuleCondition;
  rules: readonly RoleRule[];
  /** The roles a rule may give. */
  roles: readonly Role[];
  onSave: (rules: RoleRule[]) => Promise<unknown>;
}) {
  const [value, setValue] = useState('');
  const [roleId, setRoleId] = useState('');
  const [status, setStatus] = useState<string>();
  const save = useAction(async (next: RoleRule[], message: string) => {
    setStatus(undefined);
    await onSave(next);
    setStatus(message);
    return true;
  });
  const describe = (rule: RoleRule) => (condition ? `${rule[condition.field]} → ${rule.role_id}` : rule.role_id);

  const add = async (event: FormEvent) => {
    event.preventDefault();
    const rule: RoleRule = condition ? { [condition.field]: value.trim(), role_id: roleId } : { role_id: roleId };
    const saved = await save.run([...rules, rule], `Added ${describe(rule)}.`);
    if (saved) {
      setValue('');
      setRoleId('');
    }
  };

  return (
    <div className="rules">
      <h3>{title}</h3>
      {rules.length === 0 ? (
        <p className="muted">No rules.</p>
      ) : (
        <Table caption={title}>
          <TableHead columns={condition ? [condition.label, 'Role'] : ['Role']} actions />
          <tbody>
            {rules.map((rule, index) => (
              <tr key={`${describe(rule)}-${index}`}>
                {condition && <td>{rule[condition.field]}</td>}
                <td>
                  <code>{rule.role_id}</code>
                </td>
                <td>
                  <DangerButton label={`Remove rule ${describe(rule)}`} busy={save.busy} onClick={() => save.run(rules.filter((_, other) => other !== index), `Removed ${describe(rule)}.`)}>
                    Remove
                  </DangerButton>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      <form className="toolbar" aria-label={`Add to ${title.toLowerCase()}`} onSubmit={add}>
        {condition && (
          <TextField label={condition.label} placeholder={condition.placeholder} required value={value} onChange={(event) => setValue(event.target.value)} />
        )}
        <RoleSelect label="Role" roles={roles} value={roleId} onChange={setRoleId} anyLabel="Choose a role" required />
        <button type="submit" disabled={save.busy}>
          Add rule
        </button>
      </form>
      <ErrorMessage error={save.error} />
      <Status message={status} />
    </div>
  );
}
