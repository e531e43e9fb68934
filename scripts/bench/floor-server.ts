// The floor for the HTTP benchmarks: a minimal Fastify JSON route, in its own process like the
// server under test. Prints its port when listening.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/floor', async () => ({ ok: true }));
const address = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`listening ${new URL(address).port}`);
