// `npm run example:documents`: starts everything and says where to go.
import { join } from 'node:path';
import { EXAMPLE_ROOT } from './build.ts';
import { startDocumentsExample } from './example.ts';
import { DEMO_PASSWORD, DEMO_USERS } from './policy.ts';

const example = await startDocumentsExample({
  dataDir: process.env.GATEHOUSE_DATA_DIR ?? join(EXAMPLE_ROOT, '.gatehouse'),
  port: Number(process.env.PORT ?? 3000),
  gatehousePort: Number(process.env.GATEHOUSE_PORT ?? 4000),
  log: (line) => console.log(`[gatehouse] ${line}`),
});
console.log(`\nDocuments app: ${example.appUrl}  (Gatehouse at ${example.gatehouse.url})`);
for (const user of DEMO_USERS) console.log(`  ${user.email.padEnd(20)} ${DEMO_PASSWORD}   roles: ${user.roles.join(', ')}`);
console.log(`\nChange a role while signed in and watch the buttons follow, e.g.:
  curl -u ${example.gatehouse.credentials.project_id}:${example.gatehouse.credentials.secret} -X PUT \\
    ${example.gatehouse.url}/v1/users/${example.userIds['ada@example.com']} -H 'content-type: application/json' -d '{"roles":["viewer"]}'\n`);

const stop = async () => {
  await example.stop();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
