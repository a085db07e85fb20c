// Status fields that list pods or problems stay small whatever the namespace holds: a status too large for
// its schema would fail every write.

/** At most this many pods or problems per list in status and messages. */
export const MAX_LISTED = 20;

/** The first MAX_LISTED items; when some are left out, the last entry says how many. */
export function boundedList(items: readonly string[]): string[] {
  if (items.length <= MAX_LISTED) return [...items];
  return [...items.slice(0, MAX_LISTED - 1), `... and ${items.length - MAX_LISTED + 1} more`];
}

/** "a, b and 3 more": names for a message, bounded the same way. */
export function nameList(names: readonly string[]): string {
  if (names.length <= MAX_LISTED) return names.join(', ');
  return `${names.slice(0, MAX_LISTED).join(', ')} and ${names.length - MAX_LISTED} more`;
}

/** Cuts a message to `max` characters, saying so. */
export function truncated(text: string, max: number): string {
  const marker = ' ... (truncated)';
  return text.length <= max ? text : `${text.slice(0, max - marker.length)}${marker}`;
}
