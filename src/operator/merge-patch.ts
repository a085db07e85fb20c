// RFC 7386 merge patches computed from two documents. A patch of the whole new status would leave behind
// nested fields that the new status dropped (merge patch merges objects); the diff nulls them explicitly.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The merge patch that turns `from` into `to`; undefined when they are equal. */
export function mergePatch(from: unknown, to: unknown): Json | undefined {
  if (!isObject(from) || !isObject(to))
    return jsonEqual(from, to) ? undefined : (structuredClone(to) as Json);
  const patch: Record<string, Json> = {};
  for (const key of Object.keys(from)) {
    if (!(key in to) || to[key] === undefined) patch[key] = null;
  }
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined) continue;
    const sub = key in from ? mergePatch(from[key], value) : structuredClone(value);
    if (sub !== undefined) patch[key] = sub;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** Equality of JSON values, independent of key order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = new Set(
      [...Object.keys(a), ...Object.keys(b)].filter((k) => a[k] !== undefined || b[k] !== undefined),
    );
    return [...keys].every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}

/** Whether every field set in `wanted` has the same value in `actual` (lists compared whole). */
export function containsFields(actual: unknown, wanted: unknown): boolean {
  if (isObject(wanted)) {
    return (
      isObject(actual) &&
      Object.entries(wanted).every(([k, v]) => v === undefined || containsFields(actual[k], v))
    );
  }
  return jsonEqual(actual, wanted);
}
