// The shell: sign-in, then navigation and the page for the current path. Focus moves to the
// page's heading on navigation so keyboard and screen-reader users land on the new content.
import { useEffect, useState, type ReactNode } from 'react';
import { loadSession, onSignedOut, signOut, type DashboardSession } from './api.ts';
import { ErrorMessage, Loading, useAsync } from './components/ui.tsx';
import { Link, confirmLeave, matchPath, navigate, useLocation } from './router.tsx';
import { AccessAtPage } from './pages/AccessAt.tsx';
import { AdminsPage } from './pages/Admins.tsx';
import { AuditPage } from './pages/Audit.tsx';
import { MemberPage, MembersPage } from './pages/Members.tsx';
import { OrganizationPage, OrganizationsPage } from './pages/Organizations.tsx';
import { OutboxPage } from './pages/Outbox.tsx';
import { OverviewPage } from './pages/Overview.tsx';
import { PolicyHistoryPage } from './pages/PolicyHistory.tsx';
import { PolicyPage } from './pages/Policy.tsx';
import { OAuthProvidersPage } from './pages/OAuthProviders.tsx';
import { RedirectUrlsPage } from './pages/RedirectUrls.tsx';
import { SignInPage } from './pages/SignIn.tsx';
import { UserPage, UsersPage } from './pages/Users.tsx';
import { WhoCanPage } from './pages/WhoCan.tsx';

const NAVIGATION: { to: string; label: string }[] = [
  { to: '/', label: 'Overview' },
  { to: '/policy', label: 'Policy' },
  { to: '/policy/history', label: 'Policy history' },
  { to: '/users', label: 'Users' },
  { to: '/members', label: 'Members' },
  { to: '/organizations', label: 'Organizations' },
  { to: '/who-can', label: 'Who can?' },
  { to: '/access-at', label: 'Access at a time' },
  { to: '/audit', label: 'Audit log' },
  { to: '/outbox', label: 'Outbox' },
  { to: '/redirect-urls', label: 'Redirect URLs' },
  { to: '/oauth-providers', label: 'OAuth providers' },
  { to: '/admins', label: 'Admins' },
];

type Page = (props: { session: DashboardSession; params: Record<string, string>; query: URLSearchParams }) => ReactNode;

const ROUTES: [string, Page][] = [
  ['/', OverviewPage],
  ['/policy', PolicyPage],
  ['/policy/history', PolicyHistoryPage],
  ['/users', UsersPage],
  ['/users/:user_id', UserPage],
  ['/members', MembersPage],
  ['/members/:organization_id/:member_id', MemberPage],
  ['/organizations', OrganizationsPage],
  ['/organizations/:organization_id', OrganizationPage],
  ['/who-can', WhoCanPage],
  ['/access-at', AccessAtPage],
  ['/audit', AuditPage],
  ['/outbox', OutboxPage],
  ['/redirect-urls', RedirectUrlsPage],
  ['/oauth-providers', OAuthProvidersPage],
  ['/admins', AdminsPage],
];

function route(path: string): { page: Page; params: Record<string, string> } | null {
  for (const [pattern, page] of ROUTES) {
    const params = matchPath(pattern, path);
    if (params) return { page, params };
  }
  return null;
}

/** The navigation entry for a path: the longest prefix that matches. */
function isCurrent(to: string, path: string): boolean {
  if (to === '/') return path === '/';
  const best = NAVIGATION.filter((item) => item.to !== '/' && (path === item.to || path.startsWith(`${item.to}/`))).sort((a, b) => b.to.length - a.to.length)[0];
  return best?.to === to;
}

export function App() {
  const initial = useAsync(loadSession, []);
  const [session, setSession] = useState<DashboardSession | null | undefined>(undefined);
  useEffect(() => {
    if (initial.data !== undefined) setSession(initial.data);
  }, [initial.data]);
  useEffect(() => onSignedOut(() => setSession(null)), []);

  if (initial.error) return <ErrorMessage error={initial.error} />;
  if (session === undefined) return <Loading />;
  if (session === null) return <SignInPage onSignedIn={setSession} />;
  return <Shell session={session} onSignOut={() => confirmLeave() && void signOut().finally(() => setSession(null))} />;
}

function Shell({ session, onSignOut }: { session: DashboardSession; onSignOut: () => void }) {
  const { path, query } = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const match = route(path);

  useEffect(() => {
    setMenuOpen(false);
    document.getElementById('page-title')?.focus();
    const title = NAVIGATION.find((item) => isCurrent(item.to, path))?.label;
    document.title = title ? `${title} · Gatehouse` : 'Gatehouse';
  }, [path]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          Gatehouse
        </Link>
        <span className="project" title="Project">
          {session.project.project_id}
        </span>
        <button type="button" className="menu-button" aria-expanded={menuOpen} aria-controls="navigation" onClick={() => setMenuOpen((open) => !open)}>
          Menu
        </button>
        <span className="admin-email">{session.admin.email}</span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <nav id="navigation" className={menuOpen ? 'sidebar open' : 'sidebar'} aria-label="Main">
        <ul>
          {NAVIGATION.map((item) => (
            <li key={item.to}>
              <Link to={item.to} aria-current={isCurrent(item.to, path) ? 'page' : undefined}>
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" className="content">
        {match ? (
          <match.page key={path} session={session} params={match.params} query={query} />
        ) : (
          <>
            <h1 id="page-title" tabIndex={-1}>
              Not found
            </h1>
            <p>
              There is no page at <code>{path}</code>. <button type="button" onClick={() => navigate('/')}>Go to the overview</button>
            </p>
          </>
        )}
      </main>
    </div>
  );
}
