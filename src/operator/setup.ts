// Wires the ConsistentBackup controller into a manager: what it watches and how each watched object maps to
// the ConsistentBackups to reconcile.
import { KubeRest, keyFromLabels, objectKey, type Informer, type Manager } from '../core/index.ts';
import {
  API_VERSION,
  LABEL_OWNER_NAME,
  LABEL_OWNER_NAMESPACE,
  MANAGER_NAME,
  PLURAL,
  POLICY_PLURAL,
} from '../api/constants.ts';
import type { ConsistentBackup } from '../api/consistent-backup.ts';
import type { ConsistentBackupPolicy } from '../api/consistent-backup-policy.ts';
import { DRILL_PLURAL, type RestoreDrill } from '../api/consistent-restore.ts';
import type { BackupStorageLocation } from '../api/velero.ts';
import { storageCondition, type OperatorConfig } from '../domain/index.ts';
import { verifiedBackups } from '../domain/restore/index.ts';
import { jsonEqual } from './merge-patch.ts';
import { ConsistentBackupReconciler } from './consistent-backup-reconciler.ts';
import { PodCache } from './pod-cache.ts';
import { VeleroCache } from './velero-cache.ts';
import { Writes } from './velero-writes.ts';
import { VeleroRecordsReader } from './velero-records.ts';
import { RecoverabilityMetrics } from './recoverability-metrics.ts';

export interface ControllerSetup {
  config: OperatorConfig;
  concurrency: number;
}

/** The caches the restore controllers share with this one (one informer per resource). */
export interface SharedCaches {
  consistentBackups: Informer<ConsistentBackup>;
  drills: Informer<RestoreDrill>;
  velero: VeleroCache;
}

export function addConsistentBackupController(manager: Manager, setup: ControllerSetup): SharedCaches {
  const { config } = setup;
  const consistentBackups = manager.informer<ConsistentBackup>({
    resource: { apiVersion: API_VERSION, plural: PLURAL },
    indexers: { [byStorageLocation]: (cr) => [cr.spec.velero?.storageLocation ?? defaultLocation] },
  });
  // Cluster-scoped; only the one named "cluster" is read.
  const policies = manager.informer<ConsistentBackupPolicy>({
    resource: { apiVersion: API_VERSION, plural: POLICY_PLURAL },
  });
  const drills = manager.informer<RestoreDrill>({
    resource: { apiVersion: API_VERSION, plural: DRILL_PLURAL },
  });
  const velero = new VeleroCache(manager, [
    config.veleroNamespace,
    ...(config.allowedVeleroNamespaces ?? []),
  ]);
  const pods = new PodCache(manager, config.watchNamespaces);
  const rest = new KubeRest(manager.kubeConfig);
  const reconciler = new ConsistentBackupReconciler({
    config,
    consistentBackups,
    policies,
    drills,
    velero,
    pods,
    writes: new Writes(rest),
    records: new VeleroRecordsReader(rest, manager.logger),
    events: manager.eventRecorder(`${API_VERSION.split('/')[0]}/${MANAGER_NAME}`),
    logger: manager.logger,
    metrics: new RecoverabilityMetrics(manager.metrics.registry),
  });
  const controller = manager.controller({
    name: 'consistentbackup',
    reconciler,
    concurrency: setup.concurrency,
  });
  const owner = keyFromLabels(LABEL_OWNER_NAMESPACE, LABEL_OWNER_NAME);
  controller.watch(consistentBackups);
  // A changed limit concerns every ConsistentBackup.
  controller.watch(policies, () => consistentBackups.keys());
  // A drill that verified a backup may move the RPO of the ConsistentBackup it targets (spec.rpoCounts Verified).
  controller.watch(drills, (d) => `${d.metadata?.namespace}/${d.spec.consistentBackup}`, {
    updateMatters: (a, b) =>
      a.spec.consistentBackup !== b.spec.consistentBackup ||
      !jsonEqual(verifiedBackups(a), verifiedBackups(b)),
  });
  // A pod change may change what the hooks of its namespace's ConsistentBackups would reach; most pod
  // updates (status churn) change nothing in the summary preflight reads.
  for (const informer of pods.informers) {
    controller.watch(
      informer,
      (pod) => consistentBackups.list(pod.metadata?.namespace).map((cr) => objectKey(cr)),
      { updateMatters: (a, b) => !jsonEqual(a.summary, b.summary) },
    );
  }
  // A location concerns the ConsistentBackups that name it, and those that use the default while it is (or
  // was) the default. Velero revalidates every location each minute: only a change of what StorageAvailable
  // says about it re-reconciles them.
  const usersOf = (location: BackupStorageLocation): string[] =>
    [
      ...consistentBackups.byIndex(byStorageLocation, location.metadata.name ?? ''),
      ...(location.spec.default ? consistentBackups.byIndex(byStorageLocation, defaultLocation) : []),
    ].map((cr) => objectKey(cr));
  for (const cache of velero.namespaces.values()) {
    controller.watch(cache.backups, owner);
    controller.watch(cache.schedules, owner);
    controller.watch(cache.storageLocations, usersOf, { updateMatters: storageStateChanged });
  }
  return { consistentBackups, drills, velero };
}

const byStorageLocation = 'storageLocation';
/** Index value of the ConsistentBackups that name no location (Velero's default one). */
const defaultLocation = '';

function storageStateChanged(a: BackupStorageLocation, b: BackupStorageLocation): boolean {
  const name = b.metadata.name;
  return (
    Boolean(a.spec.default) !== Boolean(b.spec.default) ||
    !jsonEqual(storageCondition([a], name), storageCondition([b], name))
  );
}
