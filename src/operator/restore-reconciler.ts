// The thin join for ConsistentRestores: resolve the backup (only one of this namespace's ConsistentBackup),
// make the scratch namespace, create the Velero Restore once, and write the status from what Velero reports.
// On deletion, and for scratch namespaces whose ConsistentRestore is gone, the scratch namespace is deleted
// once Velero has finished with it (Velero re-creates a missing target namespace, without our labels).
import type { EventRecorder, Informer, Logger, ReconcileOutcome, Reconciler } from '../core/index.ts';
import { FINALIZER } from '../api/constants.ts';
import type { ConsistentBackup } from '../api/consistent-backup.ts';
import {
  RESTORE_PLURAL,
  type ConsistentRestore,
  type ConsistentRestoreStatus,
} from '../api/consistent-restore.ts';
import type { VeleroBackup, VeleroRestore } from '../api/velero.ts';
import {
  computeRestoreStatus,
  declaredActions,
  identityOf,
  isFinished,
  isScratchOf,
  LABEL_RESTORE_UID,
  planRestore,
  resolveSource,
  restoreNames,
  scratchLabels,
  targetNamespaceOf,
  type RestoreSituation,
} from '../domain/restore/index.ts';
import type { NamespaceObject, RestoreWrites } from './restore-writes.ts';

/** Reconcile keys of scratch namespaces without a ConsistentRestore (no namespace can contain '~'). */
export const SWEEP_PREFIX = '~scratch/';
const NAMESPACE_GONE_RECHECK_MS = 2_000;

export interface RestoreReconcilerDeps {
  veleroNamespace: string;
  restores: Informer<ConsistentRestore>;
  consistentBackups: Informer<ConsistentBackup>;
  veleroRestores: Informer<VeleroRestore>;
  /** Velero Backups of every watched Velero namespace. */
  backups: () => VeleroBackup[];
  scratchNamespaces: Informer<NamespaceObject & { metadata?: { name?: string } }>;
  writes: RestoreWrites;
  events: EventRecorder;
  logger: Logger;
  now?: () => number;
}

export class ConsistentRestoreReconciler implements Reconciler {
  private readonly now: () => number;

  constructor(private readonly deps: RestoreReconcilerDeps) {
    this.now = deps.now ?? Date.now;
  }

  async reconcile(key: string): Promise<ReconcileOutcome | void> {
    if (key.startsWith(SWEEP_PREFIX)) return this.sweep(key.slice(SWEEP_PREFIX.length));
    const cr = this.deps.restores.get(key);
    if (!cr) return;
    if (cr.metadata?.deletionTimestamp) return this.finalize(cr);
    const finalizers = cr.metadata?.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) {
      // Before the scratch namespace or the Velero Restore exists, so neither can outlive it.
      await this.deps.writes.setFinalizers(RESTORE_PLURAL, cr, [...finalizers, FINALIZER]);
      return;
    }
    const situation = await this.converge(cr);
    const status = computeRestoreStatus(cr, situation, this.now());
    if (await this.deps.writes.patchStatus(RESTORE_PLURAL, cr, status)) {
      this.deps.logger.info('restore status updated', { key, phase: status.phase });
      this.announce(cr, cr.status, status);
    }
  }

  private async converge(cr: ConsistentRestore): Promise<RestoreSituation> {
    const identity = identityOf(cr);
    const name = restoreNames(identity).veleroRestore;
    const existing = this.deps.veleroRestores.get(`${this.deps.veleroNamespace}/${name}`);
    const recoveryPoint = cr.status?.recoveryPoint;
    if (existing) {
      return {
        kind: 'restoring',
        restore: existing,
        targetNamespace: targetNamespaceOf(cr),
        declaredActions: declaredActions(existing),
        ...(recoveryPoint && { recoveryPoint }),
      };
    }
    const cb = this.deps.consistentBackups.get(`${identity.namespace}/${cr.spec.source.consistentBackup}`);
    const source = resolveSource(cr, cb, this.deps.backups());
    if (!source.ok) return { kind: 'blocked', ...source };
    const planned = planRestore(cr, source.backup.metadata.name ?? '', this.deps.veleroNamespace);
    if (!planned.ok) {
      return {
        kind: 'blocked',
        phase: 'Invalid',
        reason: 'InvalidSpec',
        message: planned.problems.join('; '),
      };
    }
    const { plan } = planned;
    if (plan.targetNamespace !== identity.namespace) {
      const namespace = await this.deps.writes.createNamespace(plan.targetNamespace, scratchLabels(identity));
      if (!isScratchOf(namespace, identity)) {
        return {
          kind: 'blocked',
          phase: 'Refused',
          reason: 'ScratchNamespaceTaken',
          message: `namespace ${plan.targetNamespace} exists and was not made for this restore; nothing is restored into it`,
        };
      }
    }
    const created = await this.deps.writes.createRestore(plan.restore);
    if (created !== 'existed') {
      this.deps.logger.info('created Velero Restore', {
        restore: name,
        backup: plan.restore.spec.backupName,
      });
      this.deps.events.event(cr, {
        type: 'Normal',
        reason: 'RestoreCreated',
        action: 'CreateRestore',
        note: `restoring Velero backup ${plan.restore.spec.backupName} into namespace ${plan.targetNamespace} (Velero Restore ${name})`,
      });
    }
    return {
      kind: 'restoring',
      // The cache may not have it yet; a created object has its creationTimestamp, the start of the clock.
      restore: created === 'existed' ? plan.restore : created,
      targetNamespace: plan.targetNamespace,
      declaredActions: plan.declaredActions,
      ...(source.recoveryPoint && { recoveryPoint: source.recoveryPoint }),
    };
  }

  private announce(
    cr: ConsistentRestore,
    before: ConsistentRestoreStatus | undefined,
    after: ConsistentRestoreStatus,
  ) {
    if (before?.phase === after.phase) return;
    const took = after.duration ? ` in ${after.duration}` : '';
    if (after.phase === 'Succeeded') {
      this.deps.events.event(cr, {
        type: 'Normal',
        reason: 'RestoreSucceeded',
        action: 'Restore',
        note: `restored ${after.backupName} into ${after.targetNamespace}${took}; ${after.message}`,
      });
    } else if (after.phase === 'Failed' || after.phase === 'Refused' || after.phase === 'Invalid') {
      this.deps.events.event(cr, {
        type: 'Warning',
        reason: `Restore${after.phase}`,
        action: 'Restore',
        note: after.message ?? after.phase,
      });
    }
  }

  /** Deletion: once Velero is done with it, the scratch namespace goes, then the Velero Restore, then the finalizer. */
  private async finalize(cr: ConsistentRestore): Promise<ReconcileOutcome | void> {
    const finalizers = cr.metadata?.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) return;
    const identity = identityOf(cr);
    const name = restoreNames(identity).veleroRestore;
    const restore = this.deps.veleroRestores.get(`${this.deps.veleroNamespace}/${name}`);
    // Velero ends every restore within its own bounded timeouts; its update brings this back.
    if (restore && !isFinished(restore)) return;
    if (cr.spec.target !== 'InPlace') {
      const gone = await this.deleteScratch(restoreNames(identity).scratchNamespace, identity);
      if (!gone) return { requeueAfterMs: NAMESPACE_GONE_RECHECK_MS };
    }
    await this.deps.writes.deleteRestore(this.deps.veleroNamespace, name);
    await this.deps.writes.setFinalizers(
      RESTORE_PLURAL,
      cr,
      finalizers.filter((f) => f !== FINALIZER),
    );
    this.deps.logger.info('restore cleaned up', { key: `${identity.namespace}/${identity.name}` });
  }

  /** Deletes the scratch namespace if it is this restore's; true once no such namespace exists. */
  private async deleteScratch(
    name: string,
    identity: { namespace: string; name: string; uid: string },
  ): Promise<boolean> {
    const namespace = await this.deps.writes.getNamespace(name);
    if (!namespace || !isScratchOf(namespace, identity)) return true;
    if (!namespace.metadata?.deletionTimestamp) {
      this.deps.logger.info('deleting scratch namespace', { namespace: name });
    }
    return this.deps.writes.deleteNamespace(namespace);
  }

  /** A scratch namespace whose ConsistentRestore no longer exists (deleted while the operator was down). */
  private async sweep(namespaceName: string): Promise<ReconcileOutcome | void> {
    const namespace = this.deps.scratchNamespaces.get(namespaceName);
    if (!namespace || namespace.metadata?.deletionTimestamp) return;
    const uid = namespace.metadata?.labels?.[LABEL_RESTORE_UID];
    if (this.deps.restores.list().some((r) => r.metadata?.uid === uid)) return;
    const inUse = this.deps.veleroRestores
      .list()
      .some((r) => r.metadata.labels?.[LABEL_RESTORE_UID] === uid && !isFinished(r));
    if (inUse) return;
    this.deps.logger.info('deleting orphaned scratch namespace', { namespace: namespaceName });
    await this.deps.writes.deleteNamespace(namespace);
  }
}
