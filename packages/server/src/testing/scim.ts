// An identity provider's SCIM client for tests: requests to a SCIM connection's base_url with its
// bearer token, in SCIM's content type, as Okta and Entra send them.
import type { ApiResponse, TestServer } from './harness.ts';

export class ScimTestClient {
  readonly #server: TestServer;
  readonly #path: string;
  token: string;

  /** `baseUrl`: the connection's base_url (its query string, Entra's flag, is left off as Entra does). */
  constructor(server: TestServer, baseUrl: string, token: string) {
    this.#server = server;
    const url = new URL(baseUrl);
    this.#path = url.pathname;
    this.token = token;
  }

  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const all: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/scim+json', ...headers };
    if (body !== undefined) all['content-type'] = 'application/scim+json; charset=utf-8';
    return this.#server.raw(`${this.#path}${path}`, { method, headers: all, body: body === undefined ? undefined : JSON.stringify(body) });
  }
}
