// JSON text for hot responses. A wire object that is never changed after it is made (a cached user's
// or session's wire form) is turned into text once; a response that carries it splices that text in
// rather than serializing the object again on every request.

/** Wire objects known never to change, and their JSON text once it has been made. */
const texts = new WeakMap<object, string | null>();

/** Declares that `wire` is never changed from now on, so its JSON text may be kept. Returns it. */
export function immutableWire<T extends object>(wire: T): T {
  if (!texts.has(wire)) texts.set(wire, null);
  return wire;
}

/** A member whose JSON text is already known (see compactJwsJson). */
export class JsonText {
  constructor(readonly text: string) {}
}

/**
 * The JSON text of a compact JWS (a JWT) Gatehouse signed: base64url parts and dots, nothing to
 * escape. JSON.stringify scans the ~2 KB of a session JWT character by character on every request.
 */
export function compactJwsJson(jws: string): JsonText {
  return new JsonText(`"${jws}"`);
}

function jsonOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (value instanceof JsonText) return value.text;
  const known = texts.get(value);
  if (known === undefined) return JSON.stringify(value);
  if (known !== null) return known;
  const text = JSON.stringify(value);
  texts.set(value, text);
  return text;
}

/**
 * A reply serializer (`reply.serializer(...)`) giving exactly what JSON.stringify gives for a plain
 * object, with the text of its immutable wire members reused and JsonText members spliced in.
 */
export function serializeWithImmutableWires(payload: Record<string, unknown>): string {
  let text = '';
  for (const name of Object.keys(payload)) {
    const member = jsonOf(payload[name]);
    if (member !== undefined) text += `${text === '' ? '{' : ','}${nameText(name)}${member}`;
  }
  return text === '' ? '{}' : `${text}}`;
}

/** `"name":` for the member names of the responses serialized here (a few, the same every time). */
const nameTexts = new Map<string, string>();

function nameText(name: string): string {
  let text = nameTexts.get(name);
  if (text === undefined) {
    text = `${JSON.stringify(name)}:`;
    if (nameTexts.size < 1_000) nameTexts.set(name, text);
  }
  return text;
}
