// Mixed load on one server: session checks while users searches run beside them. On the embedded
// database this shows whether a slow query holds up the requests that need no query at all (session
// authenticate answered from memory). The floor is the same session check with nothing beside it,
// measured in the same run; the result is that check while 40 connections search users.
// DATABASE_URL set: the server runs on PostgreSQL.
import autocannon from 'autocannon';
import type { BenchReport, Measurement } from './measure.ts';
import { api, AUTH, startGatehouse } from './server.ts';

const USERS = 3_000;
const SESSION_CONNECTIONS = 10;
const SEARCH_CONNECTIONS = 40;
const SECONDS = 8;

interface Load {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
}

function load(url: string, body: string, connections: number): Promise<Load> {
  return autocannon({
    url,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', authorization: AUTH },
    connections,
    duration: SECONDS,
  }).then((result) => {
    if (result.errors + result.non2xx > 0) throw new Error(`${url}: ${result.errors + result.non2xx} failed requests`);
    return { requestsPerSecond: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max };
  });
}

export async function run(): Promise<BenchReport> {
  const gatehouse = await startGatehouse(`gatehouse_bench_mixed_${process.pid}`);
  try {
    const { base } = gatehouse;
    // Users to search through, created 50 at a time.
    for (let first = 0; first < USERS; first += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, USERS - first) }, (_, i) =>
          api(base, 'POST', '/v1/users', { email: `person${first + i}@bench${(first + i) % 97}.example.com`, name: { first_name: `Person${first + i}` } }),
        ),
      );
    }
    const signUp = await api(base, 'POST', '/v1/passwords', { email: 'mixed@example.com', password: 'a sturdy bench passphrase 42', session_duration_minutes: 600 });
    const sessionBody = JSON.stringify({ session_token: signUp.session_token });
    // A fuzzy email search reads every user's email: the kind of query that takes milliseconds.
    const searchBody = JSON.stringify({ limit: 100, query: { operator: 'AND', operands: [{ filter_name: 'email_address_fuzzy', filter_value: 'bench1' }] } });
    const sessionUrl = `${base}/v1/sessions/authenticate`;
    const searchUrl = `${base}/v1/users/search`;

    await load(sessionUrl, sessionBody, SESSION_CONNECTIONS); // warm-up
    const alone = await load(sessionUrl, sessionBody, SESSION_CONNECTIONS);
    const searchAlone = await load(searchUrl, searchBody, SEARCH_CONNECTIONS);
    const [mixed, searchMixed] = await Promise.all([load(sessionUrl, sessionBody, SESSION_CONNECTIONS), load(searchUrl, searchBody, SEARCH_CONNECTIONS)]);

    const row = (name: string, figures: Load): Measurement => ({ name, opsPerSecond: figures.requestsPerSecond });
    const line = (name: string, figures: Load) =>
      `${name}: ${Math.round(figures.requestsPerSecond)} req/s, p50 ${figures.p50} ms, p99 ${figures.p99} ms, max ${figures.max} ms`;
    return {
      title: `Mixed load (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}; ${USERS} users; ${SECONDS} s per load)`,
      floor: row(`sessions/authenticate alone (${SESSION_CONNECTIONS} connections)`, alone),
      results: [row(`sessions/authenticate beside ${SEARCH_CONNECTIONS} connections of users/search`, mixed), row('users/search beside the session checks', searchMixed)],
      notes: [
        line('session check alone', alone),
        line('session check beside searches', mixed),
        line(`users/search alone (${SEARCH_CONNECTIONS} connections)`, searchAlone),
        line('users/search beside session checks', searchMixed),
      ],
    };
  } finally {
    gatehouse.child.kill();
  }
}
