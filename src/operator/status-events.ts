// What a human should hear about a status change, as Events. Derived from the old and new status so that a
// reconcile that changes nothing says nothing.
import type { EventInfo } from '../core/index.ts';
import type { Condition, ConsistentBackupStatus } from '../api/consistent-backup.ts';

const find = (s: ConsistentBackupStatus | undefined, type: string): Condition | undefined =>
  s?.conditions?.find((c) => c.type === type);

/** [condition type, Event reason (undefined: the condition's reason), action] */
const warnOnFalse: readonly (readonly [string, string | undefined, string])[] = [
  ['RPOMet', 'RPOBreached', 'EvaluateRPO'],
  ['RPOAchievable', 'RPOUnachievable', 'EvaluateRPO'],
  ['Ready', undefined, 'Reconcile'],
  ['HooksReady', undefined, 'Preflight'],
  ['HookCommandsSafe', undefined, 'LintHooks'],
];

/** Not ready for a moment after every change, as a matter of course: no Warning for these. */
const expectedWaits = new Set(['WaitingForVelero']);

export function statusEvents(
  before: ConsistentBackupStatus | undefined,
  after: ConsistentBackupStatus,
): EventInfo[] {
  const events: EventInfo[] = [];
  const last = after.lastBackup;
  const previous = before?.lastBackup;
  const finishedNow =
    last?.consistency !== undefined && (previous?.name !== last.name || previous?.consistency === undefined);
  if (last && finishedNow) {
    const ok = last.consistency === 'AppConsistent' || last.consistency === 'CrashConsistent';
    events.push({
      type: ok ? 'Normal' : 'Warning',
      reason: ok ? 'BackupSucceeded' : `Backup${last.consistency}`,
      action: 'GradeBackup',
      note: `backup ${last.name} ended ${last.phase}: ${last.consistency}${last.message ? ` (${last.message})` : ''}`,
    });
  }
  const flipped = (type: string) => {
    const now = find(after, type);
    return now && find(before, type)?.status !== now.status ? now : undefined;
  };
  // A condition turning False is what a human must hear about; which Event that is, per condition.
  for (const [type, reason, action] of warnOnFalse) {
    const c = flipped(type);
    if (c?.status === 'False' && !expectedWaits.has(c.reason ?? ''))
      events.push({ type: 'Warning', reason: reason ?? c.reason ?? type, action, note: c.message ?? '' });
  }
  const rpo = flipped('RPOMet');
  if (rpo?.status === 'True' && find(before, 'RPOMet')?.status === 'False')
    events.push({ type: 'Normal', reason: 'RPORestored', action: 'EvaluateRPO', note: rpo.message ?? '' });
  return events;
}
