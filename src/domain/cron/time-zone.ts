// UTC offsets of IANA time zones from the runtime's ICU data (Intl), which the operator needs to place cron runs.

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether the runtime knows the zone (Intl ignores case; Velero does not, see timeZoneProblem). */
function isKnownToIntl(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why Velero could not load the zone, or undefined when it can. Go's time.LoadLocation is case-sensitive, so a
 * name that only matches in another case is refused here too.
 */
export function timeZoneProblem(timeZone: string): string | undefined {
  if (timeZone === 'UTC') return undefined;
  if (timeZone === 'Local') return '"Local" would be the Velero server\'s own zone; name a zone';
  if (!isKnownToIntl(timeZone)) return `unknown time zone "${timeZone}"`;
  const exact = Intl.supportedValuesOf('timeZone').find((z) => z.toLowerCase() === timeZone.toLowerCase());
  if (exact !== undefined && exact !== timeZone)
    return `unknown time zone "${timeZone}" (names are case-sensitive: ${exact})`;
  return undefined;
}

/** Local wall-clock time minus UTC, in milliseconds, at an instant. */
export function utcOffsetMs(timeZone: string, instantMs: number): number {
  if (timeZone === 'UTC') return 0;
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instantMs)) parts[p.type] = Number(p.value);
  const wall = Date.UTC(
    parts.year ?? 0,
    (parts.month ?? 1) - 1,
    parts.day,
    parts.hour,
    parts.minute,
    parts.second,
  );
  return wall - Math.floor(instantMs / 1000) * 1000;
}

/** The local calendar day (days since 1970-01-01) an instant falls on. */
export function localDay(timeZone: string, instantMs: number): number {
  return Math.floor((instantMs + utcOffsetMs(timeZone, instantMs)) / DAY_MS);
}

/**
 * The offsets in force around a local day and, when they differ, the first instant of the later one. Assumes
 * at most one change within the three days around it, which holds for every zone's rules.
 */
export function offsetsAroundDay(
  timeZone: string,
  day: number,
): { before: number; after: number; changeAt: number | undefined } {
  let lo = day * DAY_MS - DAY_MS;
  let hi = day * DAY_MS + 2 * DAY_MS;
  const before = utcOffsetMs(timeZone, lo);
  const after = utcOffsetMs(timeZone, hi);
  if (before === after) return { before, after, changeAt: undefined };
  // Offsets change on whole seconds: bisect down to one.
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (utcOffsetMs(timeZone, mid) === before) lo = mid;
    else hi = mid;
  }
  return { before, after, changeAt: hi };
}
