// Stytch's convention, which its clients rely on: in a request body, `null` for an optional field
// means "not given" (the admin portal's SSO forms send `display_name: null`). Where a field's schema
// accepts null (e.g. `sso_default_connection_id: null` clears the default), null keeps its meaning
// and the field is left alone; elsewhere the key is dropped before validation and before the
// member-session gate judges the fields sent, so a null asks for nothing and changes nothing.
import type { FastifyRequest } from 'fastify';

interface JsonSchema {
  type?: string | string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  const?: unknown;
  enum?: unknown[];
}

/** Whether a value of null passes `schema` (a schema with no type — TypeBox's Unknown — does). */
export function acceptsNull(schema: JsonSchema | undefined): boolean {
  if (!schema || typeof schema !== 'object') return true;
  if (schema.anyOf) return schema.anyOf.some(acceptsNull);
  if (schema.oneOf) return schema.oneOf.some(acceptsNull);
  if (Array.isArray(schema.type)) return schema.type.includes('null');
  if (schema.type !== undefined) return schema.type === 'null';
  if ('const' in schema) return schema.const === null;
  if (schema.enum) return schema.enum.includes(null);
  return true;
}

/** The optional top-level fields of a body schema whose schema refuses null: null there means "not given". */
export function nullMeansNotGiven(bodySchema: unknown): string[] {
  const schema = bodySchema as JsonSchema | undefined;
  if (!schema?.properties) return [];
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties)
    .filter(([name, property]) => !required.has(name) && !acceptsNull(property))
    .map(([name]) => name);
}

/** A preValidation hook dropping those fields when they are null; undefined when the route has none. */
export function dropNullFields(fields: readonly string[]) {
  if (fields.length === 0) return undefined;
  return (request: FastifyRequest, _reply: unknown, done: (error?: Error) => void): void => {
    const body = request.body;
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
      const record = body as Record<string, unknown>;
      for (const name of fields) if (record[name] === null) delete record[name];
    }
    done();
  };
}
