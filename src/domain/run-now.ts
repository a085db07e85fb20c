// On-demand runs: the annotation consistentbackup.io/run-now=<token> asks for one extra backup per distinct
// token. Tokens already turned into a Backup are remembered in status, so none runs twice.
import { RUN_NOW_ANNOTATION } from '../api/constants.ts';
import type { ConsistentBackup } from '../api/consistent-backup.ts';
import type { Problem } from './problems.ts';

const TOKEN = /^[A-Za-z0-9._-]{1,63}$/;
/** Enough to recognise the current token long after it ran, small enough for a status field. */
export const MAX_PROCESSED_TOKENS = 20;

/** The requested token, or a problem when the annotation holds something that cannot be one. */
export function runNowToken(cr: ConsistentBackup): { token?: string; problem?: Problem } {
  const raw = cr.metadata?.annotations?.[RUN_NOW_ANNOTATION];
  if (raw === undefined || raw.trim() === '') return {};
  const token = raw.trim();
  if (TOKEN.test(token)) return { token };
  return {
    problem: {
      field: `metadata.annotations[${RUN_NOW_ANNOTATION}]`,
      reason: 'InvalidRunToken',
      message: 'a run-now token is 1-63 letters, digits, ".", "_" or "-" (for example a timestamp)',
    },
  };
}

/** The token that still needs its Backup, if any. */
export function pendingRunToken(cr: ConsistentBackup): string | undefined {
  const { token } = runNowToken(cr);
  return token !== undefined && !(cr.status?.processedRunTokens ?? []).includes(token) ? token : undefined;
}

/**
 * Adds newly seen tokens (oldest first) to the remembered ones and keeps the newest. The current annotation's
 * token is always kept: forgetting it would run it again.
 */
export function mergeProcessedTokens(
  remembered: readonly string[],
  seen: readonly string[],
  current: string | undefined,
): string[] {
  const merged = [...remembered];
  for (const token of seen) if (!merged.includes(token)) merged.push(token);
  const kept = merged.slice(-MAX_PROCESSED_TOKENS);
  if (current !== undefined && merged.includes(current) && !kept.includes(current)) {
    kept.shift();
    kept.push(current);
  }
  return kept;
}
