// Test support: a TCP proxy on a loopback port in front of PostgreSQL, so a test can take the
// database away from one server (and only that server) without stopping the shared cluster.
import { createServer, createConnection, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The loopback port the proxy listens on. */
  readonly port: number;
  /** `url` (a postgres:// URL of the target) rewritten to go through the proxy. */
  urlThrough(url: string): string;
  /**
   * The outage: new connections are refused until `restore`, then every open one is destroyed.
   * `beforeDrop` runs in between, while the open connections still carry what the target sends
   * (a restart: the target's sessions are terminated, each telling its client so, then the link goes).
   */
  cut(beforeDrop?: () => Promise<void>): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server;
  let port = 0;

  const open = async (): Promise<void> => {
    server = createServer((client) => {
      const upstream = createConnection(target);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        // Either side failing ends both, as a lost link would.
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: '127.0.0.1' }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    port = (server.address() as { port: number }).port;
  };
  const closeListener = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const destroyAll = () => {
    for (const socket of sockets) socket.destroy();
  };

  await open();
  let listening = true;
  return {
    get port() {
      return port;
    },
    urlThrough(url) {
      const through = new URL(url);
      through.hostname = '127.0.0.1';
      through.port = String(port);
      return through.toString();
    },
    async cut(beforeDrop) {
      if (!listening) return;
      listening = false;
      // Stop listening first (new connections are refused), then drop the established ones.
      const closed = closeListener();
      await beforeDrop?.();
      destroyAll();
      await closed;
    },
    async restore() {
      if (listening) return;
      await open();
      listening = true;
    },
    async close() {
      destroyAll();
      if (listening) await closeListener();
      listening = false;
    },
  };
}
