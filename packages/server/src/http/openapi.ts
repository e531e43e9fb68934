// What a route declares about its request body beyond a validating schema, for the OpenAPI document
// (GET /openapi.json): a body a domain validator checks, and a route that takes no body at all.
// openapi.test.ts holds every POST/PUT/PATCH route to one of: a body schema, or one of these.
import type { TSchema } from '@sinclair/typebox';
import type { SwaggerTransform } from '@fastify/swagger';

declare module 'fastify' {
  interface FastifySchema {
    /** The route takes no request body; one sent is ignored. Shown as is in the OpenAPI document. */
    'x-takes-no-body'?: true;
  }
}

/** Route schema member of a route that takes no body. */
export const TAKES_NO_BODY = { 'x-takes-no-body': true } as const;

/**
 * Route config for a body that a domain validator checks with its own error codes (the policy engine
 * lists every issue in error_details): the OpenAPI document shows `schema` as the request body, and
 * Fastify does not validate against it, so the validator's answer is the one the caller gets.
 */
export function bodyDocumentedAs(schema: TSchema): { swaggerTransform: SwaggerTransform } {
  return { swaggerTransform: ({ schema: routeSchema, url }) => ({ schema: { ...routeSchema, body: schema }, url }) };
}
