/**
 * Canonical JSON: object keys sorted, no whitespace, `undefined` members dropped. Two values that
 * mean the same produce the same text, so hashes of it can address cached data across processes.
 */

export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalize(value, "(root)"));
}

function normalize(value: unknown, path: string): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    // NaN/Infinity would serialize as null and collide with a genuine null.
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${path} is ${value}, which JSON cannot represent`);
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => normalize(v === undefined ? null : v, `${path}[${i}]`));
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = normalize(v, `${path}.${key}`);
    }
    return out;
  }
  throw new TypeError(`canonicalJson: ${path} is a ${typeof value}, which JSON cannot represent`);
}
