import { parseDuration } from '../domain/duration.ts';

/**
 * Parses a Go-style duration ("90s", "1m30s", "2h") into whole seconds, or returns a problem text. Hook
 * scripts count in whole seconds (SLEEP(), sleep, timeout), so fractions of a second are refused.
 */
export function parseWholeSeconds(text: string): number | { problem: string } {
  const ms = parseDuration(text);
  if (ms === undefined || text === '0') {
    return { problem: `"${text}" is not a duration (examples: "45s", "2m", "1m30s")` };
  }
  const seconds = Math.round(ms * 1e6) / 1e9;
  if (!Number.isInteger(seconds)) return { problem: `"${text}" is not a whole number of seconds` };
  return seconds;
}

export function formatSeconds(seconds: number): string {
  return `${seconds}s`;
}
