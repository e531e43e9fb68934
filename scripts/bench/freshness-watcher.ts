// The other process of the freshness bench: a connected @gatehouse/node client that, told a JWT and
// a check on stdin (one JSON line), checks it locally in a loop until the check is refused, then
// prints when (ms since the epoch, sub-millisecond) and why.
import { createInterface } from 'node:readline';
import { GatehouseClient, GatehouseClientError } from '@gatehouse/node';

const [base_url, project_id, secret, freshness] = process.argv.slice(2) as [string, string, string, 'default' | 'strict'];
const client = new GatehouseClient({ project_id, secret, base_url, freshness });
const now = () => performance.timeOrigin + performance.now();
const reply = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

async function refusal(params: Parameters<typeof client.sessions.authenticateJwtLocal>[0]): Promise<string | undefined> {
  try {
    await client.sessions.authenticateJwtLocal(params);
    return undefined;
  } catch (error) {
    if (error instanceof GatehouseClientError) return error.code;
    throw error;
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  const request = JSON.parse(line) as { command: 'connect' } | { command: 'watch'; session_jwt: string; authorization_check: { resource_id: string; action: string } };
  if (request.command === 'connect') {
    await client.policies.compiled('consumer'); // loads the policy and starts the stream
    while (!client.policies.connected) await new Promise((resolve) => setTimeout(resolve, 5));
    reply({ connected: true });
    continue;
  }
  const params = { session_jwt: request.session_jwt, authorization_check: request.authorization_check };
  const first = await refusal(params);
  if (first !== undefined) {
    reply({ error: `refused before the change: ${first}` });
    continue;
  }
  reply({ watching: true });
  let checks = 0;
  for (;;) {
    const code = await refusal(params);
    checks++;
    if (code !== undefined) {
      reply({ refused_at: now(), code, checks });
      break;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}
client.close();
