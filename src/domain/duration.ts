// Durations in Go's time.ParseDuration syntax, the syntax Velero (ttl, hook timeouts) and CEL's duration() use.

const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 1e-3,
  µs: 1e-3,
  ns: 1e-6,
};
const DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;

/** Milliseconds in a duration such as "1h30m", or undefined when it is not one ("0" included, as Go). */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (!DURATION.test(text)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * (UNIT_MS[unit ?? ''] ?? NaN);
  return Number.isFinite(ms) ? ms : undefined;
}

const READABLE_UNITS: [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** A compact human reading of a duration, e.g. "7d", "1d23h", "90s" -> "1m30s"; for messages, not for parsing. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'forever';
  let rest = Math.round(ms / 1000) * 1000;
  let text = '';
  for (const [unit, size] of READABLE_UNITS) {
    const count = Math.floor(rest / size);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * size;
  }
  return text || '0s';
}
