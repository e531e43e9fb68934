// `npm run example:b2b`: a local Gatehouse, the app on top of it, and the emails printed as they are "sent".
import { join } from 'node:path';
import { EXAMPLE_ROOT } from './build.ts';
import { startB2BExample } from './example.ts';
import { readOutbox, startLocalGatehouse } from './gatehouse.ts';

const gatehouse = await startLocalGatehouse({
  dataDir: process.env.GATEHOUSE_DATA_DIR ?? join(EXAMPLE_ROOT, '.gatehouse'),
  port: Number(process.env.GATEHOUSE_PORT ?? 4000),
});
const config = { apiUrl: gatehouse.url, ...gatehouse.credentials };
const example = await startB2BExample(config, { port: Number(process.env.PORT ?? 3000) });
console.log(`\nB2B app: ${example.appUrl}  (Gatehouse at ${gatehouse.url})`);
console.log('No SMTP server is configured: the emails land in Gatehouse\'s outbox, and their links are printed here.\n');

// Print each new email's link (the outbox, newest first).
const seen = new Set((await readOutbox(config)).map((message) => message.message_id));
const poll = setInterval(async () => {
  try {
    for (const message of (await readOutbox(config)).reverse()) {
      if (seen.has(message.message_id)) continue;
      seen.add(message.message_id);
      console.log(`✉  to ${message.to}: ${message.subject}\n   ${message.link ?? '(no link)'}\n`);
    }
  } catch {
    // stopping
  }
}, 1000);

const stop = async () => {
  clearInterval(poll);
  await example.stop();
  await gatehouse.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
