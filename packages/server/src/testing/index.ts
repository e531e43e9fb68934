// @gatehouse/server/testing: a real Gatehouse for other packages' tests (the SDKs', the dashboard's,
// the examples'). Chromium is @gatehouse/server/testing/chromium, so a test without a browser does
// not load one.
export {
  basicAuth,
  DEVELOPMENT_REDIRECT_URL,
  expectError,
  ManualClock,
  openTestDatabase,
  startTestServer,
  TEST_ENCRYPTION_KEY,
  TEST_REDIRECT_URLS,
  testDatabaseKinds,
  type ApiResponse,
  type TestDatabase,
  type TestServer,
} from './harness.ts';
export { B2B_POLICY, B2BProject, expectOk, roleSummary, type MemberSessionCredentials, type WireMemberRole } from './b2b.ts';
export { allowOrigin, b2bWorld, consumerWorld, expectData, memberWithPassword, PASSWORD, sdkAuthorization, sdkCall, type BrowserCaller } from './sdk.ts';
export { b2bCaseWorld, consumerCaseWorld, signInUser, type SignedIn } from './authorization-cases.ts';
// What a test needs to act on the server it started: the system as the actor, the server's shapes.
export { systemActor } from '../audit/log.ts';
export type { Gatehouse } from '../app/server.ts';
export type { ProjectCredentials } from '../projects/service.ts';
