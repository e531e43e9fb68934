// The B2B app's page: plain JavaScript on the official @stytch/vanilla-js B2B headless client. The
// only Gatehouse-specific thing is the API URL the client is given (its `endpoints` option), which
// the backend hands out with the public token.
import { StytchB2BHeadlessClient } from '@stytch/vanilla-js/b2b/headless';

const root = document.getElementById('app');
let client;

/** A tiny element builder: h('button', { testid: 'x', onclick }, 'Text'). Text is never parsed as HTML. */
function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'testid') element.dataset.testid = value;
    else if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else element[key] = value;
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined));
  return element;
}

function show(...children) {
  root.replaceChildren(...children.filter((child) => child !== null));
}

function status(text) {
  const line = h('p', { testid: 'status' }, text);
  document.querySelector('[data-testid=status]')?.remove();
  root.append(line);
}

/** Runs an action, shows its error (the API's error_type) instead of throwing. */
async function attempt(action) {
  try {
    return await action();
  } catch (error) {
    status(`Error: ${[error.error_type, error.error_message ?? error.message].filter(Boolean).join(": ")}`);
    return undefined;
  }
}

const SESSION = { session_duration_minutes: 60 };
const redirectUrl = () => `${location.origin}/authenticate`;

async function api(method, path, body) {
  const response = await fetch(path, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const json = await response.json();
  if (!response.ok) throw Object.assign(new Error(json.error_message ?? response.statusText), { error_type: json.error_type, status: response.status });
  return json;
}

// ---- Signed out: discovery sign-up, or an organization's login (magic link or SSO)

function signedOutView() {
  const discoveryEmail = h('input', { testid: 'discovery-email', type: 'email', placeholder: 'you@company.com' });
  const slug = h('input', { testid: 'login-slug', placeholder: 'organization-slug' });
  const loginEmail = h('input', { testid: 'login-email', type: 'email', placeholder: 'you@company.com' });
  show(
    h('h1', {}, 'B2B app'),
    h('section', {},
      h('h2', {}, 'Sign up or find your organizations'),
      discoveryEmail,
      h('button', {
        testid: 'discovery-send',
        onclick: () => attempt(async () => {
          await client.magicLinks.email.discovery.send({ email_address: discoveryEmail.value, discovery_redirect_url: redirectUrl() });
          status(`Check ${discoveryEmail.value} for a link.`);
        }),
      }, 'Email me a link'),
    ),
    h('section', {},
      h('h2', {}, 'Log in to an organization'),
      slug,
      loginEmail,
      h('button', {
        testid: 'login-send',
        onclick: () => attempt(async () => {
          const organization = await api('GET', `/api/organizations/${encodeURIComponent(slug.value)}`);
          await api('POST', '/api/login', { organization_id: organization.organization_id, email_address: loginEmail.value });
          status(`Check ${loginEmail.value} for a login link to ${organization.organization_name}.`);
        }),
      }, 'Email me a login link'),
      h('button', {
        testid: 'login-sso',
        onclick: () => attempt(async () => {
          const organization = await api('GET', `/api/organizations/${encodeURIComponent(slug.value)}`);
          const connection = organization.sso_connections[0];
          if (!connection) return status(`${organization.organization_name} has no SSO connection.`);
          // Leaves the page: Gatehouse → the identity provider → back to /authenticate?stytch_token_type=sso.
          await client.sso.start({ connection_id: connection.connection_id, login_redirect_url: redirectUrl(), signup_redirect_url: redirectUrl() });
        }),
      }, 'Continue with SSO'),
    ),
  );
}

// ---- Back from an email or SSO: the link's token decides what to do

async function handleRedirect(params) {
  const token = params.get('token');
  const type = params.get('stytch_token_type');
  history.replaceState(null, '', '/');
  if (type === 'discovery') {
    const discovered = await attempt(() => client.magicLinks.discovery.authenticate({ discovery_magic_links_token: token }));
    if (discovered) return discoveryView(discovered.email_address, discovered.discovered_organizations);
  } else if (type === 'multi_tenant_magic_links') {
    // Organization login, sign-up or an accepted invite: a member session straight away.
    if (await attempt(() => client.magicLinks.authenticate({ magic_links_token: token, ...SESSION }))) return home();
  } else if (type === 'sso') {
    // The backend finishes SSO sign-ins (client.sso.authenticate) and hands the session to the SDK.
    const tokens = await attempt(() => api('POST', '/api/sso/authenticate', { sso_token: token }));
    if (tokens) {
      client.session.updateSession(tokens);
      return home();
    }
  }
  // A spent or expired link: back to the forms, with the error.
  const message = document.querySelector('[data-testid=status]')?.textContent ?? `Unknown link type: ${type}`;
  signedOutView();
  status(message);
  return undefined;
}

/** After a discovery link: the organizations the address may enter, and creating a new one. */
function discoveryView(email, discovered) {
  const name = h('input', { testid: 'new-org-name', placeholder: 'Organization name' });
  const slug = h('input', { testid: 'new-org-slug', placeholder: 'organization-slug' });
  show(
    h('h1', {}, `Welcome, ${email}`),
    h('h2', {}, 'Your organizations'),
    h('ul', { testid: 'discovered' },
      discovered.length === 0 ? h('li', {}, 'None yet.') : null,
      discovered.map(({ organization, membership }) =>
        h('li', {},
          `${organization.organization_name} (${membership.type}) `,
          h('button', {
            testid: `enter-${organization.organization_slug}`,
            onclick: () => attempt(async () => {
              await client.discovery.intermediateSessions.exchange({ organization_id: organization.organization_id, ...SESSION });
              await home();
            }),
          }, 'Enter'),
        ),
      ),
    ),
    h('h2', {}, 'Create an organization'),
    name,
    slug,
    h('button', {
      testid: 'create-org',
      onclick: () => attempt(async () => {
        await client.discovery.organizations.create({ organization_name: name.value, organization_slug: slug.value, ...SESSION });
        await home();
      }),
    }, 'Create'),
  );
}

// ---- Signed in

async function home() {
  const { member, organization, member_session } = await client.session.authenticate(SESSION);
  // The buttons follow the member's roles and the project's RBAC policy; the backend checks again.
  const [canInvite, canManageMembers, canBill, canSetUpSso] = await Promise.all([
    client.rbac.isAuthorized('stytch.member', 'create'),
    client.rbac.isAuthorized('stytch.member', 'update.settings.roles'),
    client.rbac.isAuthorized('billing', 'read'),
    client.rbac.isAuthorized('stytch.sso', 'create'),
  ]);
  const { discovered_organizations: memberships } = await client.discovery.organizations.list();
  const members = canManageMembers ? (await api('GET', '/api/members')).members : [];
  const others = memberships.filter((entry) => entry.organization.organization_id !== organization.organization_id && entry.membership.type === 'active_member');

  const inviteEmail = h('input', { testid: 'invite-email', type: 'email', placeholder: 'colleague@company.com' });
  const issuer = h('input', { testid: 'sso-issuer', placeholder: 'https://idp.example.com' });
  const clientId = h('input', { testid: 'sso-client-id', placeholder: 'client id' });
  const clientSecret = h('input', { testid: 'sso-client-secret', type: 'password', placeholder: 'client secret' });

  show(
    h('h1', { testid: 'organization-name' }, organization.organization_name),
    h('p', {}, 'Signed in as ', h('strong', { testid: 'member-email' }, member.email_address), ' — roles: ', h('span', { testid: 'roles' }, [...member_session.roles].sort().join(', '))),
    h('button', { testid: 'sign-out', onclick: () => attempt(async () => { await client.session.revoke(); signedOutView(); }) }, 'Sign out'),

    others.length === 0 ? null : h('section', {},
      h('h2', {}, 'Switch organization'),
      others.map(({ organization: other }) =>
        h('button', {
          testid: `switch-${other.organization_slug}`,
          onclick: () => attempt(async () => {
            await client.session.exchange({ organization_id: other.organization_id, ...SESSION });
            await home();
          }),
        }, other.organization_name),
      ),
    ),

    !canBill ? null : h('section', {},
      h('h2', {}, 'Billing'),
      h('button', {
        testid: 'billing',
        onclick: () => attempt(async () => {
          const billing = await api('GET', '/api/billing');
          root.append(h('pre', { testid: 'billing-result' }, billing.invoices.map((i) => `${i.id} ${i.amount} ${i.status}`).join('\n')));
        }),
      }, 'Show invoices'),
    ),

    !canInvite ? null : h('section', {},
      h('h2', {}, 'Invite a colleague'),
      inviteEmail,
      h('button', {
        testid: 'invite',
        onclick: () => attempt(async () => {
          const email = inviteEmail.value;
          await api('POST', '/api/invite', { email_address: email });
          await home(); // the members list shows the invited colleague
          status(`Invited ${email}.`);
        }),
      }, 'Invite'),
    ),

    !canManageMembers ? null : h('section', {},
      h('h2', {}, 'Members'),
      h('ul', {},
        members.map((m) => {
          const isViewer = m.roles.includes('billing-viewer');
          return h('li', {},
            `${m.email_address} — ${m.roles.join(', ')} `,
            h('button', {
              testid: `billing-viewer-${m.email_address}`,
              onclick: () => attempt(async () => {
                await api('PUT', `/api/members/${m.member_id}/billing-viewer`, { billing_viewer: !isViewer });
                await home();
              }),
            }, isViewer ? 'Revoke billing-viewer' : 'Grant billing-viewer'),
          );
        }),
      ),
    ),

    !canSetUpSso ? null : h('section', {},
      h('h2', {}, 'Single sign-on (OpenID Connect)'),
      issuer,
      clientId,
      clientSecret,
      h('button', {
        testid: 'sso-create',
        onclick: () => attempt(async () => {
          const connection = await api('POST', '/api/sso/oidc', { display_name: 'Company IdP', issuer: issuer.value, client_id: clientId.value, client_secret: clientSecret.value });
          status(`SSO connection ${connection.connection_id} is ${connection.status}.`);
        }),
      }, 'Connect'),
    ),
  );
  return true;
}

async function start() {
  const config = await api('GET', '/api/config');
  client = new StytchB2BHeadlessClient(config.publicToken, { endpoints: { testAPIURL: config.apiUrl, liveAPIURL: config.apiUrl } });
  const params = new URLSearchParams(location.search);
  if (location.pathname === '/authenticate' && params.get('token')) {
    await handleRedirect(params);
  } else if (client.session.getTokens()) {
    if (!(await attempt(home))) signedOutView();
  } else {
    signedOutView();
  }
}

start();
