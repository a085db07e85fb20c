// What a human should hear about a status change, as Events. Derived from the old and new status so that a
// reconcile that changes nothing says nothing.
import type { EventInfo } from '../core/index.ts';
import type { Condition, ConsistentBackupStatus } from '../api/consistent-backup.ts';

const find = (s: ConsistentBackupStatus | undefined, type: string): Condition | undefined =>
  s?.conditions?.find((c) => c.type === type);

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
    const ok = last.consistency !== 'Inconsistent';
    events.push({
      type: ok ? 'Normal' : 'Warning',
      reason: ok ? 'BackupSucceeded' : 'BackupInconsistent',
      action: 'GradeBackup',
      note: `backup ${last.name} ended ${last.phase}: ${last.consistency}${last.message ? ` (${last.message})` : ''}`,
    });
  }
  const flipped = (type: string) => {
    const now = find(after, type);
    return now && find(before, type)?.status !== now.status ? now : undefined;
  };
  const rpo = flipped('RPOMet');
  if (rpo?.status === 'False')
    events.push({ type: 'Warning', reason: 'RPOBreached', action: 'EvaluateRPO', note: rpo.message ?? '' });
  if (rpo?.status === 'True' && find(before, 'RPOMet')?.status === 'False')
    events.push({ type: 'Normal', reason: 'RPORestored', action: 'EvaluateRPO', note: rpo.message ?? '' });
  const achievable = flipped('RPOAchievable');
  if (achievable?.status === 'False')
    events.push({
      type: 'Warning',
      reason: 'RPOUnachievable',
      action: 'EvaluateRPO',
      note: achievable.message ?? '',
    });
  const ready = flipped('Ready');
  if (ready?.status === 'False')
    events.push({
      type: 'Warning',
      reason: ready.reason ?? 'NotReady',
      action: 'Reconcile',
      note: ready.message ?? '',
    });
  return events;
}
