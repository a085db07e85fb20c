const UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 };
const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:h|m|s|ms|us|µs|ns))+$/;
const GO_DURATION_PART = /(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)/g;

/**
 * Parses a Go-style duration ("90s", "1m30s", "2h") into whole seconds, or returns a problem text. Hook
 * scripts count in whole seconds (SLEEP(), sleep, timeout), so fractions of a second are refused.
 */
export function parseWholeSeconds(text: string): number | { problem: string } {
  if (!GO_DURATION.test(text)) {
    return { problem: `"${text}" is not a duration (examples: "45s", "2m", "1m30s")` };
  }
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(GO_DURATION_PART)) {
    seconds += Number(amount) * (UNIT_SECONDS[unit ?? ''] ?? Number.NaN);
  }
  const rounded = Math.round(seconds * 1e9) / 1e9;
  if (!Number.isInteger(rounded)) return { problem: `"${text}" is not a whole number of seconds` };
  return rounded;
}

export function formatSeconds(seconds: number): string {
  return `${seconds}s`;
}
