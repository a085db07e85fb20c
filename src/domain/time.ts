// Timestamps arrive as RFC 3339 strings (custom resources) or Date objects (client-node's built-in kinds).

/** Epoch milliseconds of a timestamp, or undefined when it is absent or unreadable. */
export function toMillis(value: string | Date | undefined | null): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** RFC 3339 in UTC, with milliseconds only when there are some, so equal instants always print alike. */
export function formatTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}
