// The one thing a human should look at first, for `kubectl get cbk`: the first condition that says something
// is wrong, in the order to fix them (the spec and Velero before storage, hooks and the RPO).
import type { Condition, ConsistentBackupProblem } from '../api/consistent-backup.ts';

const ORDER = [
  'Ready',
  'StorageAvailable',
  'HooksReady',
  'HookCommandsSafe',
  'RPOAchievable',
  'RPOMet',
  'LastBackupConsistent',
];
/** Ready is False on purpose or for a while here: nothing to fix. */
const EXPECTED_NOT_READY = new Set(['Suspended', 'BackupQueued', 'BackupInProgress', 'VerifyingBackup']);
const MAX_MESSAGE = 200;

export function problemSummary(conditions: readonly Condition[]): ConsistentBackupProblem | undefined {
  for (const type of ORDER) {
    const c = conditions.find((x) => x.type === type);
    if (!c || c.status === 'True' || (type === 'Ready' && EXPECTED_NOT_READY.has(c.reason))) continue;
    if (c.status === 'Unknown' && type !== 'Ready') continue;
    const message = c.message.length > MAX_MESSAGE ? `${c.message.slice(0, MAX_MESSAGE - 1)}…` : c.message;
    return { condition: type, reason: c.reason, message };
  }
  return undefined;
}
