// Test support: bytes straight onto a TCP socket, for requests no HTTP client will send (a broken
// request line, a header without a colon, a bad chunk size, oversized headers), and the first
// response read back as it came. Loopback only: the address is the test server's.
import { connect } from 'node:net';
import type { ApiResponse } from './harness.ts';

/** A response as the harness gives it (so expectError applies), and the text it came as. */
export interface RawHttpResponse extends ApiResponse {
  /** Everything the server sent before it closed or the response was complete. */
  raw: string;
}

/** Sends `request` as it is and reads the first response (complete by Content-Length, or at close). */
export function sendRawHttp(baseUrl: string, text: string | Buffer, timeoutMs = 15_000): Promise<RawHttpResponse> {
  const request = Buffer.from(text);
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let received = Buffer.alloc(0);
    let settled = false;
    const timer = setTimeout(() => finish(new Error(`no complete response within ${timeoutMs} ms: ${JSON.stringify(received.toString('latin1'))}`)), timeoutMs);

    function finish(error?: Error) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) return reject(error);
      const parsed = parseResponse(received.toString('utf8'));
      if (parsed === null) return reject(new Error(`not an HTTP response: ${JSON.stringify(received.toString('latin1'))}`));
      resolve(parsed);
    }

    // The answer to HEAD has headers only, whatever its Content-Length says.
    const head = request.subarray(0, 5).toString() === 'HEAD ';
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const parsed = parseResponse(received.toString('utf8'));
      if (parsed !== null && (parsed.complete || head)) finish();
    });
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    // The server may close while we are still writing (it refuses the request early): what it sent counts.
    socket.on('error', () => finish());
    socket.write(request);
  });
}

function parseResponse(text: string): (RawHttpResponse & { complete: boolean }) | null {
  const headerEnd = text.indexOf('\r\n\r\n');
  if (headerEnd === -1) return null;
  const [statusLine, ...lines] = text.slice(0, headerEnd).split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
  if (!match) return null;
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  let bodyText = text.slice(headerEnd + 4);
  const length = headers.has('content-length') ? Number(headers.get('content-length')) : undefined;
  const complete = length !== undefined && Buffer.byteLength(bodyText) >= length;
  if (length !== undefined) bodyText = Buffer.from(bodyText).subarray(0, length).toString('utf8');
  let body: unknown = bodyText;
  try {
    body = JSON.parse(bodyText);
  } catch {
    // not JSON: the test sees the text
  }
  return { status: Number(match[1]), headers, body, raw: text, complete };
}
