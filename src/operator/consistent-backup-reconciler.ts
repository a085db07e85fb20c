// The thin join of the controller core and the pure domain: read the world from the caches, converge the
// Velero objects, write the status when it changed, and ask to come back at the next timed transition.
import type { EventRecorder, Informer, Logger, ReconcileOutcome, Reconciler } from '../core/index.ts';
import { objectKey, RecentWrites } from '../core/index.ts';
import { FINALIZER } from '../api/constants.ts';
import type { ConsistentBackup } from '../api/consistent-backup.ts';
import type { ConsistentBackupPolicy } from '../api/consistent-backup-policy.ts';
import type { RestoreDrill } from '../api/consistent-restore.ts';
import type { VeleroBackup, VeleroSchedule } from '../api/velero.ts';
import {
  computeStatus,
  desiredVeleroObjects,
  keptByRetentionLock,
  ownerLabels,
  POLICY_NAME,
  runNowWaitsUntil,
  preflightHooks,
  phaseStage,
  type OperatorConfig,
  type OwnerIdentity,
} from '../domain/index.ts';
import { verifiedBackups } from '../domain/restore/index.ts';
import { containsFields } from './merge-patch.ts';
import { statusEvents } from './status-events.ts';
import type { PodCache } from './pod-cache.ts';
import type { VeleroCache } from './velero-cache.ts';
import { deleteRequestFor } from './delete-requests.ts';
import type { Writes } from './velero-writes.ts';
import type { VeleroRecordsReader } from './velero-records.ts';
import type { RecoverabilityMetrics } from './recoverability-metrics.ts';

const CACHE_SYNC_RETRY_MS = 500;
/** As often as the informers retry a missing resource. */
const VELERO_RECHECK_MS = 30_000;

export interface ReconcilerDeps {
  config: OperatorConfig;
  consistentBackups: Informer<ConsistentBackup>;
  /** The cluster admin's limits: only the one named POLICY_NAME counts. */
  policies: Informer<ConsistentBackupPolicy>;
  velero: VeleroCache;
  /** Their verified backups are the recovery points of spec.rpoCounts Verified. */
  drills: Informer<RestoreDrill>;
  /** Pods of the ConsistentBackups' namespaces, for hook preflight. */
  pods: PodCache;
  writes: Writes;
  /** Velero's records of finished backups, the evidence grades follow from. */
  records: VeleroRecordsReader;
  events: EventRecorder;
  logger: Logger;
  /** Per-ConsistentBackup series; none when omitted. */
  metrics?: RecoverabilityMetrics;
  now?: () => number;
}

export class ConsistentBackupReconciler implements Reconciler {
  private readonly now: () => number;
  // The caches may not show this reconciler's own last writes yet; computed from them, a reconcile would
  // write the same finalizer, Schedule or status again.
  private readonly recentConsistentBackups = new RecentWrites<ConsistentBackup>();
  private readonly recentSchedules = new RecentWrites<VeleroSchedule>();

  constructor(private readonly deps: ReconcilerDeps) {
    this.now = deps.now ?? Date.now;
  }

  async reconcile(key: string): Promise<ReconcileOutcome | void> {
    let cr = this.recentConsistentBackups.read(key, this.deps.consistentBackups.get(key));
    if (!cr) return this.deps.metrics?.forget(key);
    const owner = ownerOf(cr);
    const config = this.config();
    if (cr.metadata?.deletionTimestamp) return this.finalize(key, cr, owner, config);
    const finalizers = cr.metadata?.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) {
      // Before any Velero object exists: objects in another namespace cannot be owned, only cleaned up.
      const updated = await this.deps.writes.setFinalizers(cr, [...finalizers, FINALIZER]);
      // Gone meanwhile: its deletion brings the next reconcile.
      if (!updated) return;
      this.recentConsistentBackups.wrote(key, cr, updated);
      cr = updated;
      this.deps.logger.info('added finalizer', { key });
    }

    const pods = this.deps.pods.inNamespace(owner.namespace);
    const runNowWait = runNowWaitsUntil(cr, this.deps.velero.ownedBackups(owner), config.limits, this.now());
    const desired = desiredVeleroObjects(cr, config, preflightHooks(cr, pods), runNowWait);
    const veleroNamespace = desired.ok ? desired.veleroNamespace : config.veleroNamespace;
    const availability = this.deps.velero.availability(veleroNamespace);
    // Without full caches the status would be computed from a partial picture; they fill within moments.
    if (availability === 'syncing') return { requeueAfterMs: CACHE_SYNC_RETRY_MS };
    const unavailable = availability === 'ready' ? undefined : availability;
    const created: VeleroBackup[] = [];
    // What this reconcile wrote, since the caches may not have it yet.
    let schedule: VeleroSchedule | undefined;
    if (desired.ok && !unavailable) {
      schedule = await this.convergeSchedule(cr, owner, desired.schedule);
      for (const { backup, trigger } of desired.backups) {
        const known = this.deps.velero
          .ownedBackups(owner)
          .some((b) => b.metadata.name === backup.metadata.name);
        if (known) continue;
        const result = await this.deps.writes.createBackup(backup);
        created.push(backup);
        if (result === 'created') {
          this.deps.logger.info('created Velero Backup', { key, backup: backup.metadata.name, trigger });
          this.deps.events.event(cr, {
            type: 'Normal',
            reason: 'BackupCreated',
            action: 'CreateBackup',
            note: `created Velero Backup ${veleroNamespace}/${backup.metadata.name} (${trigger})`,
          });
          const missing = desired.missingHookTargets;
          if (missing?.policy === 'Proceed') {
            // onMissingHookTarget: Proceed backs up anyway; the backup will be graded Inconsistent.
            this.deps.events.event(cr, {
              type: 'Warning',
              reason: 'HookTargetsMissing',
              action: 'CreateBackup',
              note: missing.message,
            });
          }
        }
      }
    }

    const cache = this.deps.velero.namespaces.get(veleroNamespace);
    const inputs = {
      cr,
      config,
      pods,
      schedule:
        schedule ??
        this.deps.velero.ownedSchedules(owner).find((s) => s.metadata.namespace === veleroNamespace),
      backups: [...this.deps.velero.ownedBackups(owner), ...created],
      ...(cache && !unavailable && { storageLocations: cache.storageLocations.list() }),
      ...(unavailable && { veleroUnavailable: unavailable }),
      verifiedPoints: this.deps.drills
        .list(owner.namespace)
        .filter((d) => d.spec.consistentBackup === owner.name)
        .flatMap(verifiedBackups),
      now: this.now(),
    };
    let computed = computeStatus(inputs);
    let retryRecordsMs: number | undefined;
    if (computed.evidenceWanted.length > 0 && !unavailable) {
      const read = await this.deps.records.read(computed.evidenceWanted);
      retryRecordsMs = read.retryAfterMs;
      computed = computeStatus({ ...inputs, evidence: read.evidence });
    }
    const { status } = computed;
    const updated = await this.deps.writes.patchStatus(cr, status);
    if (updated) {
      this.recentConsistentBackups.wrote(key, cr, updated);
      this.deps.logger.info('status updated', {
        key,
        phase: status.phase,
        ...(unavailable && { velero: unavailable.message }),
      });
      for (const event of statusEvents(cr.status, status)) this.deps.events.event(cr, event);
    }
    this.deps.metrics?.observe({ ...cr, status });
    if (unavailable) {
      // Not an error to back off from: the Velero caches retry by themselves, and this looks again when they
      // may have filled, without an ever longer wait once Velero is installed.
      return { requeueAfterMs: VELERO_RECHECK_MS };
    }
    const wakeups = [computed.requeueAfterMs, retryRecordsMs].filter((t) => t !== undefined);
    return wakeups.length === 0 ? {} : { requeueAfterMs: Math.min(...wakeups) };
  }

  /** The operator's flags with the cluster's limits as they are now. */
  private config(): OperatorConfig {
    const policy = this.deps.policies.get(POLICY_NAME);
    return { ...this.deps.config, limits: policy?.spec ?? 'missing' };
  }

  private async convergeSchedule(
    cr: ConsistentBackup,
    owner: OwnerIdentity,
    desired: DesiredSchedule,
  ): Promise<VeleroSchedule | undefined> {
    const live = this.deps.velero.ownedSchedules(owner);
    const isDesired = (s: VeleroSchedule) =>
      desired !== undefined &&
      s.metadata.name === desired.metadata.name &&
      s.metadata.namespace === desired.metadata.namespace;
    // A Schedule no longer wanted: the ConsistentBackup lost its schedule or moved to another Velero namespace.
    for (const stale of live.filter((s) => !isDesired(s))) {
      await this.deps.writes.deleteSchedule(stale.metadata.namespace ?? '', stale.metadata.name ?? '');
      this.deps.logger.info('deleted Velero Schedule', { key: keyOf(cr), schedule: stale.metadata.name });
    }
    if (!desired) return undefined;
    const cached = live.find(isDesired);
    const current = this.recentSchedules.read(objectKey(desired), cached);
    if (current && containsFields(current, desired)) return current;
    const applied = await this.deps.writes.applySchedule(desired);
    this.recentSchedules.wrote(objectKey(desired), cached, applied);
    this.deps.logger.info(current ? 'updated Velero Schedule' : 'created Velero Schedule', {
      key: keyOf(cr),
      schedule: desired.metadata.name,
      paused: desired.spec.paused,
    });
    // The first Schedule is what the author of the ConsistentBackup just asked for, and status.scheduleName
    // shows it: an Event for it is one write in four while thousands settle, and tells nobody anything (README,
    // "Scale"). A Schedule changed, or made again because it went missing, is news.
    const recreated = !current && cr.status?.scheduleName === desired.metadata.name;
    if (current || recreated) {
      this.deps.events.event(cr, {
        type: 'Normal',
        reason: current ? 'ScheduleUpdated' : 'ScheduleRecreated',
        action: 'ApplySchedule',
        note: `${current ? 'updated' : 're-created the missing'} Velero Schedule ${desired.metadata.namespace}/${desired.metadata.name}${desired.spec.paused ? ' (paused)' : ''}`,
      });
    }
    return applied;
  }

  /**
   * Deletion: the Schedule goes; with deletionPolicy Delete every finished backup is deleted through a
   * DeleteBackupRequest (deleting the Backup object alone would leave the data), except those the cluster's
   * retention lock still keeps: they expire by their ttl. The finalizer goes once nothing the policy removes
   * is left.
   */
  private async finalize(
    key: string,
    cr: ConsistentBackup,
    owner: OwnerIdentity,
    config: OperatorConfig,
  ): Promise<ReconcileOutcome | void> {
    const finalizers = cr.metadata?.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) return;
    for (const schedule of this.deps.velero.ownedSchedules(owner)) {
      await this.deps.writes.deleteSchedule(schedule.metadata.namespace ?? '', schedule.metadata.name ?? '');
    }
    if (cr.spec.deletionPolicy === 'Delete') {
      const now = this.now();
      const remaining = this.deps.velero
        .ownedBackups(owner)
        .filter((b) => !keptByRetentionLock(b, config.limits, now));
      for (const backup of remaining) {
        // Velero refuses to delete a backup in progress; its next update brings this reconcile back.
        if (phaseStage(backup.status?.phase) !== 'finished') continue;
        await this.deps.writes.requestBackupDeletion(deleteRequestFor(backup, ownerLabels(owner)));
      }
      if (remaining.length > 0) {
        this.deps.logger.info('waiting for Velero to delete backups', {
          key: keyOf(cr),
          backups: remaining.length,
        });
        return;
      }
    }
    const updated = await this.deps.writes.setFinalizers(
      cr,
      finalizers.filter((f) => f !== FINALIZER),
    );
    if (updated) this.recentConsistentBackups.wrote(key, cr, updated);
    this.deps.logger.info('cleaned up; finalizer removed', {
      key: keyOf(cr),
      deletionPolicy: cr.spec.deletionPolicy ?? 'Retain',
    });
  }
}

type DesiredSchedule = Extract<ReturnType<typeof desiredVeleroObjects>, { ok: true }>['schedule'];

function keyOf(cr: ConsistentBackup): string {
  return `${cr.metadata?.namespace}/${cr.metadata?.name}`;
}

function ownerOf(cr: ConsistentBackup): OwnerIdentity {
  return {
    namespace: cr.metadata?.namespace ?? '',
    name: cr.metadata?.name ?? '',
    uid: cr.metadata?.uid ?? '',
  };
}
