// Velero objects -> ConsistentBackup status. Recomputed from scratch on every reconcile: equal inputs give an
// equal status (conditions keep their transition times), so the reconciler writes only on real change.
import type {
  BackupEvidence,
  BackupHistoryEntry,
  Condition,
  ConsistentBackup,
  ConsistentBackupStatus,
  RecoveryPointBackup,
} from '../api/consistent-backup.ts';
import { RUN_TOKEN_ANNOTATION } from '../api/constants.ts';
import type { BackupStorageLocation, VeleroBackup, VeleroSchedule } from '../api/velero.ts';
import { historyEntry, lastBackupStatus, MAX_HISTORY, mergeHistory, triggerOf } from './backup-records.ts';
import { findCondition, removeCondition, setCondition, type ConditionInput } from './conditions.ts';
import type { OperatorConfig } from './config.ts';
import { parseDuration } from './duration.ts';
import { gradeBackup, needsEvidence, type Grade } from './grading.ts';
import { hookCommandsCondition } from './hook-commands.ts';
import { hookStatuses, hooksReadyCondition } from './hooks-ready.ts';
import { lifecyclePhase, readyCondition, type VeleroUnavailable } from './lifecycle.ts';
import { limitProblems, limitsCondition, runNowWaitsUntil } from './limits.ts';
import { missingHookTargets, skipsBackups } from './missing-hook-targets.ts';
import { veleroNames } from './names.ts';
import { isOwnedBy } from './owner-labels.ts';
import type { PodSummary } from './pod-summary.ts';
import { preflightHooks } from './preflight.ts';
import { problemSummary } from './problem-summary.ts';
import { evaluateRpo, rpoAchievability, type RecoveryPoint } from './rpo.ts';
import { mergeProcessedTokens, runNowToken } from './run-now.ts';
import { nextRunTime } from './schedule.ts';
import { storageCondition } from './storage-location.ts';
import { formatTime, toMillis } from './time.ts';
import { validateConsistentBackup } from './validation.ts';

export interface StatusInputs {
  readonly cr: ConsistentBackup;
  readonly config: OperatorConfig;
  /** The ConsistentBackup's Velero Schedule, if it exists. */
  readonly schedule?: VeleroSchedule;
  /**
   * The Velero Backups labelled with this ConsistentBackup's uid, including any just created (the cache may not
   * have them yet). Backups of other owners are ignored.
   */
  readonly backups: readonly VeleroBackup[];
  /** BackupStorageLocations of the Velero namespace; when omitted, StorageAvailable stays as it was. */
  readonly storageLocations?: readonly BackupStorageLocation[];
  /**
   * Pods of the ConsistentBackup's namespace (others are ignored); when omitted, status.hooks and HooksReady
   * stay as they were and nothing is held back for missing hook targets.
   */
  readonly pods?: readonly PodSummary[];
  /**
   * Velero's records of finished backups, by backup name, newly read by the reconciler (status keeps them in
   * history once written, so each backup's are read once).
   */
  readonly evidence?: ReadonlyMap<string, BackupEvidence>;
  /**
   * Names of the backups RestoreDrills of this ConsistentBackup restored and checked. With spec.rpoCounts
   * Verified the RPO counts only these (those still kept and graded consistent); when omitted, none.
   */
  readonly verifiedPoints?: readonly string[];
  readonly now: Date | number;
  /** Why Velero cannot be used at all right now (its CRDs missing); Ready says so. */
  readonly veleroUnavailable?: VeleroUnavailable;
}

export interface ComputedStatus {
  readonly status: ConsistentBackupStatus;
  /** When the status changes by the clock alone (RPO deadline, next run); undefined: only on events. */
  readonly requeueAfterMs?: number;
  /**
   * Finished backups (of the newest MAX_HISTORY) whose grade waits for Velero's records of them: not read yet,
   * or a Completed one whose records could not be read so far (graded Unverified meanwhile).
   */
  readonly evidenceWanted: readonly VeleroBackup[];
}

/**
 * Longest requeue: Node timers overflow beyond 2^31-1 ms (about 24.8 days) and would fire at once. An early
 * recompute changes nothing, so it writes nothing.
 */
export const MAX_REQUEUE_MS = 12 * 3_600_000;

interface GradedBackup {
  readonly backup: VeleroBackup;
  readonly evidence: BackupEvidence | undefined;
  readonly grade: Grade | undefined;
  readonly createdMs: number;
}

function byCreation(
  backups: readonly VeleroBackup[],
  history: readonly BackupHistoryEntry[],
  fresh: ReadonlyMap<string, BackupEvidence> | undefined,
  nowMs: number,
): GradedBackup[] {
  const remembered = new Map(history.map((e) => [e.name, e.evidence]));
  return backups
    .map((backup) => {
      const name = backup.metadata.name ?? '';
      const evidence = needsEvidence(backup) ? (fresh?.get(name) ?? remembered.get(name)) : undefined;
      return {
        backup,
        evidence,
        grade: gradeBackup(backup, evidence),
        // No creation time: created by this very reconcile and not read back yet, so the newest.
        createdMs: toMillis(backup.metadata.creationTimestamp) ?? nowMs,
      };
    })
    .sort(
      (a, b) =>
        a.createdMs - b.createdMs ||
        (a.backup.metadata.name ?? '').localeCompare(b.backup.metadata.name ?? ''),
    );
}

/** The newest backup graded consistent (and, given `only`, named there): its start is the recovery point. */
function recoveryPoint(
  graded: readonly GradedBackup[],
  previous: RecoveryPointBackup | undefined,
  only?: ReadonlySet<string>,
): (RecoveryPoint & { consistency: RecoveryPointBackup['consistency'] }) | undefined {
  let best: (RecoveryPoint & { consistency: RecoveryPointBackup['consistency'] }) | undefined;
  for (const { backup, grade, createdMs } of graded) {
    if (only && !only.has(backup.metadata.name ?? '')) continue;
    // A backup older than history (its records no longer kept) stays the recovery point it was graded to be.
    const consistency =
      grade?.consistency ??
      (previous && previous.name === backup.metadata.name && backup.status?.phase === 'Completed'
        ? previous.consistency
        : undefined);
    if (consistency !== 'AppConsistent' && consistency !== 'CrashConsistent') continue;
    // A Completed backup always has a start; its creation is an earlier, so safe, stand-in.
    const atMs = toMillis(backup.status?.startTimestamp) ?? createdMs;
    if (!best || atMs > best.atMs) best = { backupName: backup.metadata.name ?? '', atMs, consistency };
  }
  return best;
}

function lastConsistentCondition(
  graded: readonly GradedBackup[],
  previous: readonly Condition[] | undefined,
): ConditionInput | undefined {
  const finished = graded.filter((g) => g.grade).at(-1);
  if (finished?.grade) {
    const { consistency, reason, message } = finished.grade;
    return {
      type: 'LastBackupConsistent',
      status: consistency === 'Inconsistent' ? 'False' : consistency === 'Unverified' ? 'Unknown' : 'True',
      reason,
      message: `backup ${finished.backup.metadata.name}: ${message}`,
    };
  }
  // Keep what was said about a backup Velero no longer has.
  if (findCondition(previous, 'LastBackupConsistent')) return undefined;
  return {
    type: 'LastBackupConsistent',
    status: 'Unknown',
    reason: 'NoFinishedBackup',
    message: 'no backup has finished yet',
  };
}

function veleroScheduleAnchor(schedule: VeleroSchedule | undefined): number | undefined {
  const times = [schedule?.status?.lastBackup, schedule?.status?.lastSkipped]
    .map(toMillis)
    .filter((t) => t !== undefined);
  return times.length > 0 ? Math.max(...times) : toMillis(schedule?.metadata.creationTimestamp);
}

export function computeStatus(inputs: StatusInputs): ComputedStatus {
  const { cr, config } = inputs;
  const nowMs = typeof inputs.now === 'number' ? inputs.now : inputs.now.getTime();
  const previous = cr.status ?? {};
  const generation = cr.metadata?.generation;
  const validation = validateConsistentBackup(cr, config);
  const valid = validation.ok ? validation.value : undefined;
  const owner = {
    namespace: cr.metadata?.namespace ?? '',
    name: cr.metadata?.name ?? '',
    uid: cr.metadata?.uid ?? '',
  };
  const hooksDeclared = (cr.spec.hooks?.length ?? 0) > 0;
  const preflight = inputs.pods && hooksDeclared ? preflightHooks(cr, inputs.pods) : undefined;
  const missing = missingHookTargets(cr, preflight);
  const graded = byCreation(
    inputs.backups.filter((b) => owner.uid !== '' && isOwnedBy(b, owner)),
    previous.history ?? [],
    inputs.evidence,
    nowMs,
  );
  const newest = graded.at(-1);
  const lastBackup = newest
    ? lastBackupStatus(newest.backup, newest.grade, newest.evidence)
    : previous.lastBackup;
  const point = recoveryPoint(graded, previous.lastConsistentBackup);
  const rpoCounts = cr.spec.rpoCounts ?? 'Consistent';
  const rpoPoint =
    rpoCounts === 'Verified'
      ? recoveryPoint(graded, previous.lastConsistentBackup, new Set(inputs.verifiedPoints))
      : point;
  const names = veleroNames(owner);
  const scheduled = cr.spec.schedule !== undefined;
  const suspended = cr.spec.suspend ?? false;
  const schedule = valid?.schedule;
  const held = valid && skipsBackups(missing) ? missing?.message : undefined;
  const nextRunMs =
    schedule && !suspended && !held
      ? nextRunTime(schedule, nowMs, veleroScheduleAnchor(inputs.schedule))
      : undefined;

  let conditions = previous.conditions ?? [];
  const set = (c: ConditionInput | undefined) => {
    if (c) conditions = setCondition(conditions, c, nowMs, generation);
  };
  const lifecycle = {
    problems: validation.ok ? [] : validation.problems,
    scheduled,
    suspended,
    scheduleRef: `${valid?.veleroNamespace ?? config.veleroNamespace}/${names.schedule}`,
    schedule: inputs.schedule,
    backups: graded.map((g) => g.backup),
    lastBackup,
    ...(held && { heldForHookTargets: held }),
    ...(inputs.veleroUnavailable && { veleroUnavailable: inputs.veleroUnavailable }),
  };
  set(readyCondition(lifecycle));
  set(lastConsistentCondition(graded, previous.conditions));

  const rpoMs = cr.spec.rpo === undefined ? undefined : parseDuration(cr.spec.rpo);
  const createdMs = toMillis(cr.metadata?.creationTimestamp) ?? nowMs;
  const rpo =
    cr.spec.rpo !== undefined && rpoMs !== undefined
      ? evaluateRpo({
          rpo: cr.spec.rpo,
          rpoMs,
          recoveryPoint: rpoPoint,
          createdMs,
          nowMs,
          counts: rpoCounts,
        })
      : undefined;
  if (rpo && cr.spec.rpo !== undefined && rpoMs !== undefined) {
    set(rpo.condition);
    set(
      valid
        ? rpoAchievability({
            rpo: cr.spec.rpo,
            rpoMs,
            schedule,
            suspended,
            ttl: cr.spec.ttl,
            ttlMs: valid.ttlMs,
            nowMs,
          })
        : {
            type: 'RPOAchievable',
            status: 'Unknown',
            reason: 'InvalidSpec',
            message: 'the spec has problems (see Ready)',
          },
    );
  } else {
    conditions = removeCondition(removeCondition(conditions, 'RPOMet'), 'RPOAchievable');
  }
  if (inputs.storageLocations)
    set(storageCondition(inputs.storageLocations, cr.spec.velero?.storageLocation));
  const commands = hookCommandsCondition(cr);
  if (commands) set(commands);
  else conditions = removeCondition(conditions, 'HookCommandsSafe');
  // Without hooks there is nothing to check; without pods, what was last found stays.
  if (preflight) set(hooksReadyCondition(preflight, missing));
  else if (!hooksDeclared) conditions = removeCondition(conditions, 'HooksReady');
  const hooks = preflight ? hookStatuses(preflight) : hooksDeclared ? previous.hooks : undefined;

  const runNowWait = runNowWaitsUntil(
    cr,
    graded.map((g) => g.backup),
    config.limits,
    nowMs,
  );
  set(limitsCondition(limitProblems(cr, config.limits), runNowWait, config.limits));

  const seenTokens = graded.flatMap((g) => g.backup.metadata.annotations?.[RUN_TOKEN_ANNOTATION] ?? []);
  const tokens = mergeProcessedTokens(previous.processedRunTokens ?? [], seenTokens, runNowToken(cr).token);
  const oneShot =
    previous.backupName ?? graded.find((g) => triggerOf(g.backup) === 'one-shot')?.backup.metadata.name;
  const history = mergeHistory(
    previous.history ?? [],
    graded.map((g) => historyEntry(g.backup, g.grade, g.evidence)),
  );
  // Unreadable records are wanted again only where they leave the grade Unverified (the reader backs off).
  const evidenceWanted = graded
    .slice(-MAX_HISTORY)
    .filter(
      (g) =>
        needsEvidence(g.backup) &&
        (g.evidence === undefined ||
          (g.evidence.unavailable !== undefined && g.grade?.consistency === 'Unverified')),
    )
    .map((g) => g.backup);

  const problem = problemSummary(conditions);
  const status: ConsistentBackupStatus = {
    ...(generation !== undefined && { observedGeneration: generation }),
    conditions,
    phase: lifecyclePhase(lifecycle),
    ...(problem && { problem }),
    ...((valid?.veleroNamespace ?? previous.veleroNamespace) && {
      veleroNamespace: valid?.veleroNamespace ?? previous.veleroNamespace,
    }),
    ...(schedule && { scheduleName: names.schedule }),
    ...(oneShot && { backupName: oneShot }),
    ...(lastBackup && { lastBackup }),
    ...(point && {
      lastConsistentBackup: {
        name: point.backupName,
        startTimestamp: formatTime(point.atMs),
        consistency: point.consistency,
      },
    }),
    ...(nextRunMs !== undefined && { nextBackupTime: formatTime(nextRunMs) }),
    ...(rpo && { rpo: rpo.status }),
    ...(history.length > 0 && { history }),
    ...(tokens.length > 0 && { processedRunTokens: tokens }),
    ...(hooks && { hooks }),
  };
  const wakeups = [rpo?.status.met ? rpo.deadlineMs : undefined, nextRunMs, runNowWait]
    .filter((t): t is number => t !== undefined && t > nowMs)
    .map((t) => Math.min(t - nowMs, MAX_REQUEUE_MS));
  return {
    status,
    ...(wakeups.length > 0 && { requeueAfterMs: Math.min(...wakeups) }),
    evidenceWanted,
  };
}
