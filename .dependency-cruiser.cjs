// The package boundaries, checked on every CI run (`npm run check:boundaries`, in .ci/run).
// Packages meet only through their package names (`@gatehouse/policy`, `@gatehouse/server/testing`);
// a relative import never leaves its package. Test files are those named *.test.ts(x), the policy
// engine's test-support.ts and a package's src/testing/ folder. A relative import resolves as
// `local`; one by package name, through the workspace link, as `aliased` besides.
const TEST = '(\\.test\\.tsx?$|/test-support\\.ts$|/src/testing/)';
const SDK = '^packages/(js|node|react)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'the-b2b-example-app-uses-only-stytch-packages',
      comment:
        'examples/b2b-app shows a Stytch B2B app run unchanged against Gatehouse: its backend and page use the official Stytch clients, never a Gatehouse package (only src/gatehouse.ts, the start script and the test set Gatehouse up).',
      severity: 'error',
      from: { path: '^examples/b2b-app/src/(backend\\.ts|web/)' },
      to: { path: '^packages/' },
    },
    {
      name: 'pure-packages-import-nothing',
      comment:
        '@gatehouse/policy and @gatehouse/contracts run in browsers and servers alike: no node:* module, no npm package, no other Gatehouse package. Their tests may use node:test and fast-check.',
      severity: 'error',
      from: { path: '^packages/(policy|contracts)/', pathNot: TEST },
      to: { pathNot: '^packages/$1/' },
    },
    {
      name: 'no-relative-import-across-packages',
      comment: 'Another package is imported by its name (and only what its package.json exports), never by a relative path into its sources.',
      severity: 'error',
      from: { path: '^(packages|examples)/([^/]+)/' },
      to: { dependencyTypes: ['local'], dependencyTypesNot: ['aliased'], pathNot: '^$1/$2/' },
    },
    {
      name: 'no-relative-import-from-scripts-into-packages',
      comment: 'Scripts use the packages by name too.',
      severity: 'error',
      from: { path: '^scripts/' },
      to: { dependencyTypes: ['local'], dependencyTypesNot: ['aliased'], path: '^(packages|examples)/' },
    },
    {
      name: 'sdks-never-import-the-server',
      comment: 'The SDKs talk to the server over HTTP. Their tests start one through @gatehouse/server/testing, and nothing else of it.',
      severity: 'error',
      from: { path: SDK, pathNot: TEST },
      to: { path: '^packages/server/' },
    },
    {
      name: 'sdk-tests-use-only-the-server-testing-export',
      severity: 'error',
      from: { path: `${SDK}.*${TEST}` },
      to: { path: '^packages/server/', pathNot: '^packages/server/src/testing/' },
    },
    {
      name: 'dashboard-talks-http-only',
      comment: 'The dashboard is a browser app served by the server: it reaches the server over HTTP only. Its tests may start one through @gatehouse/server/testing.',
      severity: 'error',
      from: { path: '^packages/dashboard/', pathNot: TEST },
      to: { path: '^packages/server/' },
    },
    {
      name: 'dashboard-tests-use-only-the-server-testing-export',
      severity: 'error',
      from: { path: `^packages/dashboard/.*${TEST}` },
      to: { path: '^packages/server/', pathNot: '^packages/server/src/testing/' },
    },
  ],
  options: {
    // npm packages and node:* modules are in the graph (the pure packages' rule needs them) but not followed.
    exclude: { path: '/dist/' },
    doNotFollow: { path: 'node_modules', dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'core'] },
    // Type-only imports count: a type from the server is still a dependency on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'node', 'default'],
      extensions: ['.ts', '.tsx', '.js', '.mjs'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
