// Policy validation issues (the engine's, in the browser, or the server's 400 `issues`) placed next
// to what they are about: each issue's `path` (`roles[2].permissions[0].actions[1]`) names the
// resource, role or permission; a summary lists them all with links to those places.
import type { MouseEvent } from 'react';
import type { PolicyIssue } from '@gatehouse/policy';

/** Moves focus to the element (which has tabIndex -1) rather than only scrolling the page to it. */
function goTo(event: MouseEvent, id: string): void {
  const target = document.getElementById(id);
  if (!target) return;
  event.preventDefault();
  target.scrollIntoView({ block: 'start' });
  target.focus();
}

/** The issues at `path` or inside it. */
export function issuesAt(issues: readonly PolicyIssue[], path: string): PolicyIssue[] {
  return issues.filter((issue) => issue.path === path || issue.path.startsWith(`${path}.`) || issue.path.startsWith(`${path}[`));
}

/** The messages of issues shown under a field or cell (none: nothing rendered). */
export function IssueMessages({ issues, id }: { issues: readonly PolicyIssue[]; id?: string }) {
  if (issues.length === 0) return null;
  return (
    <ul className="issue-messages field-error" id={id}>
      {issues.map((issue, index) => (
        <li key={index}>{issue.message}</li>
      ))}
    </ul>
  );
}

/** Every issue, each linking to the element `anchorOf` names for its path (when there is one). */
export function IssueSummary({ issues, anchorOf }: { issues: readonly PolicyIssue[]; anchorOf: (path: string) => string | undefined }) {
  if (issues.length === 0) return null;
  return (
    <div className="error issue-summary" role="alert">
      <p>
        The policy has {issues.length === 1 ? 'a problem' : `${issues.length} problems`} to fix before it can be saved:
      </p>
      <ul>
        {issues.map((issue, index) => {
          const anchor = anchorOf(issue.path);
          return (
            <li key={index}>
              <code className="error-type">{issue.code}</code>{' '}
              {anchor ? (
                <a href={`#${anchor}`} onClick={(event) => goTo(event, anchor)}>
                  {issue.message}
                </a>
              ) : (
                issue.message
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
