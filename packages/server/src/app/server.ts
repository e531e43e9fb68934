// Puts the server together: database, migrations, change feed, services and routes. The CLI and
// the tests both start Gatehouse through here.
import { AccessHistory } from '../audit/access-at.ts';
import { AuditLog } from '../audit/log.ts';
import { registerAuditRoutes } from '../audit/routes.ts';
import { registerDashboard } from '../admins/dashboard.ts';
import { registerAdminRoutes } from '../admins/routes.ts';
import { AdminService } from '../admins/service.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import type { ServerConfig } from '../shared/config.ts';
import { Mailer } from '../email/mailer.ts';
import { registerEmailRoutes } from '../email/routes.ts';
import { keyringFromConfig } from '../encryption/config-keyring.ts';
import type { EncryptionKeyring } from '../encryption/keyring.ts';
import { prepareSecretsAtRest, type SecretsAtRest } from '../encryption/stored-secrets.ts';
import { createApp, type App } from '../http/app.ts';
import { registerMagicLinkRoutes } from '../magic-links/routes.ts';
import { PasswordResetService } from '../passwords/email-reset.ts';
import { MagicLinkService } from '../magic-links/service.ts';
import { registerB2BMagicLinkRoutes } from '../magic-links/b2b-routes.ts';
import { registerDiscoveryRoutes } from '../discovery/routes.ts';
import { registerSdkDiscoveryRoutes } from '../discovery/sdk-routes.ts';
import { OtpCodes } from '../otps/codes.ts';
import { MemberSmsOtps } from '../otps/sms-service.ts';
import { UserOtpService } from '../otps/user-service.ts';
import { registerUserOtpRoutes } from '../otps/user-routes.ts';
import { SmsSender } from '../email/sms.ts';
import { registerOtpRoutes } from '../otps/routes.ts';
import { registerSdkOtpRoutes } from '../otps/sdk-routes.ts';
import { registerB2BTotpRoutes } from '../totps/b2b-routes.ts';
import { B2BTotpService } from '../totps/b2b-service.ts';
import { TotpRegistrations } from '../totps/registrations.ts';
import { registerTotpRoutes } from '../totps/routes.ts';
import { TotpService } from '../totps/service.ts';
import { registerSdkTotpRoutes } from '../totps/sdk-routes.ts';
import { MemberPasswordResetService } from '../passwords/b2b-email-reset.ts';
import { registerSdkB2BPasswordResetRoutes } from '../passwords/b2b-sdk-routes.ts';
import { OtpService } from '../otps/service.ts';
import { DiscoveryService } from '../discovery/service.ts';
import { DiscoveryTokens } from '../discovery/tokens.ts';
import { MemberMagicLinkService } from '../magic-links/b2b-service.ts';
import { EmailTokens, MEMBER_TOKENS, USER_TOKENS } from '../magic-links/tokens.ts';
import { registerB2BPasswordRoutes } from '../passwords/b2b-routes.ts';
import { MemberPasswordService } from '../passwords/b2b-service.ts';
import { registerPasswordRoutes } from '../passwords/routes.ts';
import { Lockout } from '../passwords/lockout.ts';
import { PasswordService } from '../passwords/service.ts';
import { registerProjectRoutes } from '../projects/routes.ts';
import { registerClaimTemplateRoutes } from '../claims/routes.ts';
import { ClaimTemplates } from '../claims/service.ts';
import { ProjectService } from '../projects/service.ts';
import { registerPolicyChangeRoutes } from '../rbac/changes-routes.ts';
import { registerSessionEventRoutes } from '../sessions/events-sdk-routes.ts';
import { registerPolicyHistoryRoutes } from '../rbac/history-routes.ts';
import { ImpactPreview } from '../rbac/impact.ts';
import { registerPolicyRoutes } from '../rbac/routes.ts';
import { RbacService } from '../rbac/service.ts';
import { SubjectDirectory } from '../rbac/subjects.ts';
import { WhoCan } from '../rbac/who-can.ts';
import { RateLimiter } from '../rate-limit/limiter.ts';
import { OutboundFetch } from '../shared/outbound-fetch.ts';
import { OAuthProviders } from '../oauth/providers.ts';
import { registerOAuthRoutes } from '../oauth/routes.ts';
import { registerSdkOAuthRoutes } from '../oauth/sdk-routes.ts';
import { OAuthService } from '../oauth/service.ts';
import { registerRedirectUrlRoutes } from '../redirect-urls/routes.ts';
import { RedirectUrlService } from '../redirect-urls/service.ts';
import { ChangeFeed } from '../store/change-feed.ts';
import { openDatabase, type Database } from '../store/database.ts';
import { migrate } from '../store/migrate.ts';
import { readinessCheck } from '../store/readiness.ts';
import { SigningKeys } from '../sessions/keys.ts';
import { registerSessionRoutes } from '../sessions/routes.ts';
import { SessionService } from '../sessions/service.ts';
import { MemberAuthorization } from '../authz/member-authorization.ts';
import { registerMemberSessionRoutes } from '../sessions/member-routes.ts';
import { registerMemberRoutes } from '../members/routes.ts';
import { MemberService } from '../members/service.ts';
import { registerOrganizationRoutes } from '../organizations/routes.ts';
import { OrganizationService } from '../organizations/service.ts';
import { SsoConnectionService } from '../sso/connections.ts';
import { SsoFlows } from '../sso/flows.ts';
import { SsoMemberLinks } from '../sso/member-links.ts';
import { registerSsoRoutes } from '../sso/routes.ts';
import { registerSdkSsoRoutes } from '../sso/sdk-routes.ts';
import { ScimConnectionService } from '../scim/connections.ts';
import { ScimGroups } from '../scim/groups.ts';
import { registerScimRoutes } from '../scim/routes.ts';
import { registerSdkScimRoutes } from '../scim/sdk-routes.ts';
import { registerScimServiceRoutes } from '../scim/service-routes.ts';
import { ScimUsers } from '../scim/users.ts';
import { registerSdkMagicLinkRoutes } from '../magic-links/sdk-routes.ts';
import { registerSdkB2BRoutes } from '../sdk/b2b-routes.ts';
import { sdkHooks } from '../sdk/browser-api.ts';
import { registerAllowedOriginRoutes, registerSdkRoutes } from '../sdk/routes.ts';
import { SdkService } from '../sdk/service.ts';
import { registerUserRoutes } from '../users/routes.ts';
import { registerM2MRoutes } from '../m2m/routes.ts';
import { M2MService } from '../m2m/service.ts';
import { UserService } from '../users/service.ts';

export interface Gatehouse {
  app: App;
  db: Database;
  feed: ChangeFeed;
  audit: AuditLog;
  clock: Clock;
  projects: ProjectService;
  /** Dashboard admins and their sessions. */
  admins: AdminService;
  rbac: RbacService;
  users: UserService;
  keys: SigningKeys;
  sessions: SessionService;
  passwords: PasswordService;
  /** Rate limits of credential endpoints: `limiter.credentialEndpoint(...)` as a route preHandler. */
  limiter: RateLimiter;
  mailer: Mailer;
  magicLinks: MagicLinkService;
  organizations: OrganizationService;
  members: MemberService;
  memberAuthorization: MemberAuthorization;
  sdk: SdkService;
  /** What the start found of the stored secrets: plaintext sealed now, values under previous keys. */
  secretsAtRest: SecretsAtRest;
  /** Where links and sign-ins may deliver their tokens. */
  redirectUrls: RedirectUrlService;
  /** M2M clients and the client-credentials grant. */
  m2m: M2MService;
  close(): Promise<void>;
}

export interface CreateGatehouseOptions {
  config: ServerConfig;
  /** An open database to use instead of the one the config names (tests share one per file). */
  db?: Database;
  clock?: Clock;
  logger?: boolean | object;
  /** The keyring that seals stored secrets; default the one the config names. */
  keyring?: EncryptionKeyring;
}

export async function createGatehouse(options: CreateGatehouseOptions): Promise<Gatehouse> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const db = options.db ?? (await openDatabase({ databaseUrl: config.databaseUrl, schema: config.databaseSchema, dataDir: `${config.dataDir}/pglite` }));
  const keyring = options.keyring ?? keyringFromConfig(config).keyring;
  let secretsAtRest: SecretsAtRest;
  try {
    await migrate(db);
    secretsAtRest = await prepareSecretsAtRest(db, keyring);
  } catch (error) {
    // A refused key (or a failed migration) stops the start; the database we opened closes with it.
    if (!options.db) await db.close();
    throw error;
  }
  const feed = new ChangeFeed(db);
  await feed.start();

  const audit = new AuditLog(db, clock);
  const projects = new ProjectService(db, feed, clock, audit);
  const redirectUrls = new RedirectUrlService(db, feed, clock, audit);
  const rbac = new RbacService(db, feed, clock, audit);
  const users = new UserService(db, feed, rbac, clock, audit);
  const keys = new SigningKeys(db, feed, clock, keyring);
  const organizations = new OrganizationService(db, feed, rbac, clock, audit);
  const members = new MemberService(db, feed, rbac, organizations, clock, audit);
  // The app (and its logger) is made below, with the session service: a failed batch of access times is logged there.
  const sessionLog = { error: (details: object, message: string) => app.log.error(details, message) };
  const discoveryTokens = new DiscoveryTokens(db, feed, clock);
  const claims = new ClaimTemplates({ db, feed, clock, audit });
  await claims.start();
  const sessions = new SessionService(db, feed, users, rbac, keys, clock, { members, organizations, intermediateSessions: discoveryTokens }, sessionLog, claims);
  const memberAuthorization = new MemberAuthorization(sessions, rbac);
  const limiter = new RateLimiter(db, clock, config.rateLimits);
  const lockout = new Lockout({ db, feed, clock, config: config.lockout });
  const passwords = new PasswordService({ db, feed, users, rbac, sessions, clock, lockout });

  const admins = new AdminService({ db, feed, clock, projects, config, audit, lockout });
  const app = await createApp({ config, projects, admins, memberAuthorization, readiness: readinessCheck(db, feed), logger: options.logger });
  // Before any /sdk/v1 route: sessions started through the browser API record its IP and User-Agent.
  registerProjectRoutes(app, { projects });
  registerClaimTemplateRoutes(app, { claims });
  registerRedirectUrlRoutes(app, { redirectUrls });
  registerAdminRoutes(app, { admins, projects, limiter, config });
  await registerDashboard(app, { dir: config.admin.dashboardDir });
  registerPolicyRoutes(app, { rbac }, 'consumer', '/v1/rbac');
  registerPolicyRoutes(app, { rbac }, 'b2b', '/v1/b2b/rbac');
  registerPolicyChangeRoutes(app, { feed, rbac, clock });
  registerOrganizationRoutes(app, { organizations });
  registerMemberSessionRoutes(app, { sessions, members, organizations, projects, keys, memberAuthorization, limiter });
  const subjects = new SubjectDirectory(db, organizations);
  const policyInsight = { db, rbac, impact: new ImpactPreview({ db, rbac, subjects }), whoCan: new WhoCan({ db, rbac, organizations, subjects }) };
  registerPolicyHistoryRoutes(app, policyInsight, 'consumer', '/v1/rbac');
  registerPolicyHistoryRoutes(app, policyInsight, 'b2b', '/v1/b2b/rbac');
  const ssoConnections = new SsoConnectionService(db, feed, rbac, organizations, clock, audit, keyring);
  const outbound = new OutboundFetch(config.outbound);
  const ssoLinks = new SsoMemberLinks(db, feed, clock, audit);
  const ssoFlows = new SsoFlows({ db, feed, connections: ssoConnections, organizations, members, sessions, projects, config, clock, audit, outbound, links: ssoLinks, redirectUrls });
  registerSsoRoutes(app, {
    connections: ssoConnections, flows: ssoFlows, sessions, members, config, rbac, outbound, limiter, links: ssoLinks, organizations,
  });
  const scimConnections = new ScimConnectionService({ db, feed, rbac, organizations, clock, audit });
  registerScimRoutes(app, { connections: scimConnections, config });
  registerScimServiceRoutes(app, {
    connections: scimConnections, limiter, config,
    users: new ScimUsers({ db, feed, members, audit, clock, publicUrl: config.publicUrl }),
    groups: new ScimGroups({ db, feed, audit, clock, publicUrl: config.publicUrl }),
  });
  registerUserRoutes(app, { users, rbac });
  registerAuditRoutes(app, { audit, accessHistory: new AccessHistory(db, audit, clock) });
  registerSessionRoutes(app, { sessions, users, projects, keys });
  const memberPasswords = new MemberPasswordService({ db, feed, clock, lockout, members, organizations, rbac, sessions });
  const mailer = new Mailer({ config: config.email, db, clock, log: app.log, production: config.production });
  const memberTokens = new EmailTokens(db, feed, clock, MEMBER_TOKENS);
  const memberPasswordReset = new MemberPasswordResetService({
    tokens: memberTokens, members, organizations, sessions, passwords, memberPasswords, mailer, redirectUrls, clock,
  });
  registerB2BPasswordRoutes(app, { memberPasswords, passwords, members, sessions, limiter, memberAuthorization, memberPasswordReset });
  const emailTokens = new EmailTokens(db, feed, clock, USER_TOKENS);
  const magicLinks = new MagicLinkService({ db, tokens: emailTokens, users, sessions, mailer, redirectUrls, clock });
  registerEmailRoutes(app, { db, mailer });
  const passwordReset = new PasswordResetService({ db, feed, tokens: emailTokens, users, sessions, passwords, mailer, redirectUrls, clock });
  registerMagicLinkRoutes(app, { magicLinks, sessions, users, limiter });
  registerPasswordRoutes(app, { passwords, passwordReset, users, sessions, limiter });
  const memberMagicLinks = new MemberMagicLinkService({ tokens: memberTokens, members, organizations, sessions, mailer, redirectUrls, clock });
  registerB2BMagicLinkRoutes(app, { memberMagicLinks, members, sessions, limiter });
  const discovery = new DiscoveryService({ db, tokens: discoveryTokens, members, organizations, sessions, mailer, redirectUrls, clock });
  registerDiscoveryRoutes(app, { discovery, members, sessions, limiter });
  const otpCodes = new OtpCodes(db, feed, clock);
  const sms = new SmsSender({ config: config.sms, db, clock, log: app.log, outbound, production: config.production });
  const otps = new OtpService({ codes: otpCodes, members, organizations, sessions, discovery, mailer, clock });
  const memberSms = new MemberSmsOtps({ codes: otpCodes, members, organizations, sessions, sms, feed, clock });
  sessions.setMfaSmsSender((projectId, member) => memberSms.sendTo(projectId, member));
  registerOtpRoutes(app, { otps, sms: memberSms, members, sessions, limiter });
  const userOtps = new UserOtpService({ db, codes: otpCodes, users, sessions, mailer, sms, clock });
  const oauthProviders = new OAuthProviders({ db, feed, clock, audit, keyring, outbound });
  const oauth = new OAuthService({ db, feed, clock, config, outbound, providers: oauthProviders, redirectUrls, users, members, organizations, sessions, discovery });
  registerOAuthRoutes(app, { oauth, providers: oauthProviders, sessions, users, members, limiter, config });
  const totpRegistrations = new TotpRegistrations(db, feed, keyring, clock);
  const b2bTotps = new B2BTotpService({ registrations: totpRegistrations, members, organizations, sessions, clock });
  registerB2BTotpRoutes(app, { totps: b2bTotps, members, sessions, limiter });
  const consumerTotps = new TotpService({ registrations: totpRegistrations, users, sessions, clock, issuer: 'Gatehouse' });
  registerTotpRoutes(app, { totps: consumerTotps, users, sessions, limiter });
  // After memberMagicLinks: a member update that changes the address mails a link to the new one.
  registerMemberRoutes(app, { members, organizations, memberMagicLinks, limiter });
  // The browser SDK API (/sdk/v1) and its allowed origins.
  const sdk = new SdkService(db, feed, clock);
  const hooks = sdkHooks(sdk);
  registerAllowedOriginRoutes(app, { sdk });
  registerSdkRoutes(app, { sdk, hooks, rbac, users, sessions, passwords, magicLinks, limiter, pkce: config.sdk });
  registerSessionEventRoutes(app, { hooks, sessions, feed, clock });
  registerSdkB2BRoutes(app, { hooks, sessions, members, organizations, memberPasswords, memberMagicLinks, memberAuthorization, limiter });
  registerSdkDiscoveryRoutes(app, { hooks, discovery, members, sessions, limiter });
  registerSdkOAuthRoutes(app, { hooks, oauth, sessions, users, members, limiter });
  registerSdkTotpRoutes(app, { hooks, totps: consumerTotps, b2bTotps, users, members, sessions, memberAuthorization, limiter });
  registerSdkSsoRoutes(app, { hooks, db, connections: ssoConnections, organizations, sessions, memberAuthorization, outbound, limiter, config, flows: ssoFlows, members });
  registerSdkScimRoutes(app, { hooks, connections: scimConnections, sessions, memberAuthorization, config });
  registerSdkMagicLinkRoutes(app, { hooks, magicLinks, memberMagicLinks, members, sessions, memberAuthorization, limiter, pkce: config.sdk });
  registerSdkOtpRoutes(app, { hooks, otps, sms: memberSms, members, sessions, limiter });
  registerUserOtpRoutes(app, { userOtps, sessions, users, limiter, hooks });
  registerSdkB2BPasswordResetRoutes(app, { hooks, memberPasswordReset, members, sessions, limiter });
  const m2m = new M2MService({ db, clock, audit, keys });
  registerM2MRoutes(app, { m2m, limiter, config });
  await app.ready();

  return {
    app,
    db,
    feed,
    audit,
    clock,
    projects,
    admins,
    rbac,
    users,
    keys,
    sessions,
    passwords,
    limiter,
    mailer,
    magicLinks,
    organizations,
    members,
    memberAuthorization,
    sdk,
    secretsAtRest,
    redirectUrls,
    m2m,
    async close() {
      await app.close();
      limiter.close();
      lockout.close();
      await outbound.close();
      await mailer.close();
      await sessions.close();
      await feed.stop();
      if (!options.db) await db.close();
    },
  };
}
