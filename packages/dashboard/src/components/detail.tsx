// The frame of a detail page (a user, a member, an organization): a link back to the list, the
// heading, and titled panels; and what the page shows while its record loads or when it failed.
import { useId, type ReactNode } from 'react';
import type { AsyncState } from './ui.tsx';
import { ErrorMessage, Loading, PageHeader } from './ui.tsx';
import { Link } from '../router.tsx';

export function BackLink({ to, label }: { to: string; label: string }) {
  return (
    <p className="back-link">
      <Link to={to}>← {label}</Link>
    </p>
  );
}

/** A titled panel; its heading names it for assistive technology. */
export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  const id = useId();
  return (
    <section className="panel" aria-labelledby={id}>
      <div className="panel-header">
        <h2 id={id}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** The page while its record is not there: loading, or the error (a 404 says the record is not found). */
export function DetailPending({ title, state }: { title: string; state: AsyncState<unknown> }) {
  return (
    <>
      <PageHeader title={title} />
      <ErrorMessage error={state.error} />
      {state.loading && <Loading />}
    </>
  );
}
