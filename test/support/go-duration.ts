// Go's time.ParseDuration, which Velero uses for ttl, timeouts and robfig's `@every`: the stand-in must accept
// and refuse the same strings, with the same messages.
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds of a Go duration string; throws Go's error text for anything Go refuses. */
export function parseGoDuration(text: string): number {
  const quoted = JSON.stringify(text);
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`time: invalid duration ${quoted}`);
  let total = 0;
  while (rest !== '') {
    const number = /^(\d*)(\.\d*)?/.exec(rest)?.[0] ?? '';
    if (number === '' || number === '.') throw new Error(`time: invalid duration ${quoted}`);
    rest = rest.slice(number.length);
    const unit = /^[^\d.]*/.exec(rest)?.[0] ?? '';
    if (unit === '') throw new Error(`time: missing unit in duration ${quoted}`);
    const factor = UNIT_MS[unit];
    if (factor === undefined)
      throw new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    rest = rest.slice(unit.length);
    total += Number(number) * factor;
  }
  return sign * total;
}

/** Velero defaults a duration field when Go would decode it as zero (unset, "0s", "0h0m0s" ...). */
export function isZeroGoDuration(text: string | undefined): boolean {
  if (text === undefined || text === '') return true;
  try {
    return parseGoDuration(text) === 0;
  } catch {
    // The CRD types these fields as strings, so an undecodable one is left for Velero's decoder to refuse.
    return false;
  }
}

/** Go's Duration.String for a non-negative number of milliseconds: "30s", "2m0s", "1h0m0s", "1.5s", "500ms". */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = `${(ms % 60_000) / 1000}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  return minutes > 0 ? `${minutes}m${seconds}` : seconds;
}
