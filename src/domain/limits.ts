// The cluster admin's limits (the ConsistentBackupPolicy "cluster", the one source the admission policies read
// too): which a ConsistentBackup exceeds, when its next run-now backup may start, and which backups the
// retention lock keeps. The admission policies refuse most of this before it is stored; this reports what
// admission cannot see (a schedule's real smallest gap, run-now timing) and what a tightened limit catches later.
import type { ConsistentBackup } from '../api/consistent-backup.ts';
import type { ConsistentBackupPolicySpec } from '../api/consistent-backup-policy.ts';
import { LABEL_TRIGGER, RUN_TOKEN_ANNOTATION } from '../api/constants.ts';
import type { VeleroBackup } from '../api/velero.ts';
import type { ConditionInput } from './conditions.ts';
import { smallestGapMs } from './cron/gaps.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { describeProblems, type Problem } from './problems.ts';
import { pendingRunToken } from './run-now.ts';
import { resolveSchedule } from './schedule.ts';
import { formatTime, toMillis } from './time.ts';

export const POLICY_NAME = 'cluster';
const SOURCE = `the cluster's ConsistentBackupPolicy "${POLICY_NAME}"`;
const ALWAYS_PROTECTED = ['kube-system'];

/** The policy's spec, or 'missing' when the cluster has none (then nothing is backed up). */
export type Limits = ConsistentBackupPolicySpec | 'missing';

const ms = (duration: string) => parseDuration(duration) ?? 0;

function listed(values: readonly string[] | undefined, what: string): string {
  return values?.length ? `only ${values.join(', ')} or ${what}` : `only ${what}`;
}

function locationProblems(cr: ConsistentBackup, limits: ConsistentBackupPolicySpec): Problem[] {
  const problems: Problem[] = [];
  const velero = cr.spec.velero ?? {};
  const storage = limits.allowedStorageLocations ?? [];
  if (velero.storageLocation !== undefined && !storage.includes(velero.storageLocation)) {
    problems.push({
      field: 'spec.velero.storageLocation',
      reason: 'StorageLocationNotAllowed',
      message: `${SOURCE} allows ${listed(storage, "Velero's default location (unset)")} (spec.allowedStorageLocations)`,
    });
  }
  const snapshots = limits.allowedVolumeSnapshotLocations ?? [];
  if ((velero.volumeSnapshotLocations ?? []).some((l) => !snapshots.includes(l))) {
    problems.push({
      field: 'spec.velero.volumeSnapshotLocations',
      reason: 'VolumeSnapshotLocationNotAllowed',
      message: `${SOURCE} allows ${listed(snapshots, "Velero's defaults (unset)")} (spec.allowedVolumeSnapshotLocations)`,
    });
  }
  return problems;
}

function hookProblems(cr: ConsistentBackup, limits: ConsistentBackupPolicySpec): Problem[] {
  const hooks = cr.spec.hooks ?? [];
  const problems: Problem[] = [];
  if (hooks.length > limits.maxHooks) {
    problems.push({
      field: 'spec.hooks',
      reason: 'TooManyHooks',
      message: `${hooks.length} hooks; ${SOURCE} allows at most ${limits.maxHooks} (spec.maxHooks)`,
    });
  }
  hooks.forEach((hook, i) => {
    const budget = hook.preset?.freezeBudget;
    if (budget !== undefined && ms(budget) > ms(limits.maxFreezeBudget)) {
      problems.push({
        field: `spec.hooks[${i}].preset.freezeBudget`,
        reason: 'FreezeBudgetTooLong',
        message: `${budget}; ${SOURCE} allows at most ${limits.maxFreezeBudget} (spec.maxFreezeBudget)`,
      });
    }
  });
  return problems;
}

/** Problems with the limits; none when `limits` is undefined (not known to the caller, e.g. unit tests). */
export function limitProblems(cr: ConsistentBackup, limits: Limits | undefined): Problem[] {
  if (limits === undefined) return [];
  if (limits === 'missing') {
    return [
      {
        field: 'ConsistentBackupPolicy',
        reason: 'PolicyNotFound',
        message: `the cluster has no ConsistentBackupPolicy "${POLICY_NAME}" (deploy/policy.yaml): no backup is taken without the cluster admin's limits`,
      },
    ];
  }
  const problems = [...locationProblems(cr, limits), ...hookProblems(cr, limits)];
  const namespace = cr.metadata?.namespace ?? '';
  if ([...ALWAYS_PROTECTED, ...(limits.protectedNamespaces ?? [])].includes(namespace)) {
    problems.push({
      field: 'metadata.namespace',
      reason: 'ProtectedNamespace',
      message: `${SOURCE} allows no ConsistentBackup in namespace ${namespace} (kube-system and spec.protectedNamespaces)`,
    });
  }
  const schedule = resolveSchedule(cr.spec);
  // An unusable schedule is reported by validation.
  if (schedule && !('problems' in schedule)) {
    const gap = smallestGapMs(schedule.cron);
    if (gap < ms(limits.minScheduleInterval)) {
      problems.push({
        field: 'spec.schedule',
        reason: 'ScheduleTooFrequent',
        message: `runs as often as every ${formatDuration(gap)}; ${SOURCE} allows at least ${limits.minScheduleInterval} between scheduled runs (spec.minScheduleInterval)`,
      });
    }
  }
  const ttl = cr.spec.ttl === undefined ? undefined : parseDuration(cr.spec.ttl);
  if (ttl !== undefined && ttl < ms(limits.minRetention)) {
    problems.push({
      field: 'spec.ttl',
      reason: 'RetentionBelowLock',
      message: `backups are kept at least ${limits.minRetention} (retention lock, spec.minRetention of ${SOURCE})`,
    });
  }
  return problems;
}

/**
 * When the pending run-now token may get its Backup: undefined when none is pending or it may now. The last
 * run-now Backup of this ConsistentBackup (a Backup created by this reconcile counts as created now) starts
 * the wait.
 */
export function runNowWaitsUntil(
  cr: ConsistentBackup,
  backups: readonly VeleroBackup[],
  limits: Limits | undefined,
  nowMs: number,
): number | undefined {
  if (limits === undefined || limits === 'missing') return undefined;
  const token = pendingRunToken(cr);
  if (token === undefined || backups.some((b) => b.metadata.annotations?.[RUN_TOKEN_ANNOTATION] === token))
    return undefined;
  const runNow = backups
    .filter((b) => b.metadata.labels?.[LABEL_TRIGGER] === 'run-now')
    .map((b) => toMillis(b.metadata.creationTimestamp) ?? nowMs);
  if (runNow.length === 0) return undefined;
  const notBefore = Math.max(...runNow) + ms(limits.minRunNowInterval);
  return notBefore > nowMs ? notBefore : undefined;
}

/** WithinLimits: every limit a ConsistentBackup exceeds, by name, or that it waits for one. */
export function limitsCondition(
  problems: readonly Problem[],
  runNowWaitsUntil: number | undefined,
  limits: Limits | undefined,
): ConditionInput | undefined {
  if (limits === undefined) return undefined;
  const type = 'WithinLimits';
  if (problems.length > 0) {
    const reasons = new Set(problems.map((p) => p.reason));
    return {
      type,
      status: 'False',
      reason: reasons.size === 1 ? ([...reasons][0] ?? 'OutsideLimits') : 'OutsideLimits',
      message: describeProblems(problems),
    };
  }
  if (limits !== 'missing' && runNowWaitsUntil !== undefined) {
    return {
      type,
      status: 'False',
      reason: 'RunNowTooSoon',
      message: `the run-now backup waits until ${formatTime(runNowWaitsUntil)}: ${SOURCE} allows one run-now backup per ${limits.minRunNowInterval} (spec.minRunNowInterval)`,
    };
  }
  return { type, status: 'True', reason: 'WithinLimits', message: `within the limits of ${SOURCE}` };
}

/** Whether the retention lock still keeps a backup: it is younger than spec.minRetention. */
export function keptByRetentionLock(
  backup: VeleroBackup,
  limits: Limits | undefined,
  nowMs: number,
): boolean {
  if (limits === undefined) return false;
  // Without the policy nothing may be deleted: the lock is unknown.
  if (limits === 'missing') return true;
  const created = toMillis(backup.metadata.creationTimestamp) ?? nowMs;
  return nowMs - created < ms(limits.minRetention);
}
