// Wires the ConsistentBackup controller into a manager: what it watches and how each watched object maps to
// the ConsistentBackups to reconcile.
import { KubeRest, keyFromLabels, objectKey, type Manager } from '../core/index.ts';
import {
  API_VERSION,
  LABEL_OWNER_NAME,
  LABEL_OWNER_NAMESPACE,
  MANAGER_NAME,
  PLURAL,
} from '../api/constants.ts';
import type { ConsistentBackup } from '../api/consistent-backup.ts';
import type { BackupStorageLocation } from '../api/velero.ts';
import { storageCondition, type OperatorConfig } from '../domain/index.ts';
import { jsonEqual } from './merge-patch.ts';
import { ConsistentBackupReconciler } from './consistent-backup-reconciler.ts';
import { PodCache } from './pod-cache.ts';
import { VeleroCache } from './velero-cache.ts';
import { Writes } from './velero-writes.ts';

export interface ControllerSetup {
  config: OperatorConfig;
  concurrency: number;
}

export function addConsistentBackupController(manager: Manager, setup: ControllerSetup): void {
  const { config } = setup;
  const consistentBackups = manager.informer<ConsistentBackup>({
    resource: { apiVersion: API_VERSION, plural: PLURAL },
    indexers: { [byStorageLocation]: (cr) => [cr.spec.velero?.storageLocation ?? defaultLocation] },
  });
  const velero = new VeleroCache(manager, [
    config.veleroNamespace,
    ...(config.allowedVeleroNamespaces ?? []),
  ]);
  const pods = new PodCache(manager);
  const reconciler = new ConsistentBackupReconciler({
    config,
    consistentBackups,
    velero,
    pods,
    writes: new Writes(new KubeRest(manager.kubeConfig)),
    events: manager.eventRecorder(`${API_VERSION.split('/')[0]}/${MANAGER_NAME}`),
    logger: manager.logger,
  });
  const controller = manager.controller({
    name: 'consistentbackup',
    reconciler,
    concurrency: setup.concurrency,
  });
  const owner = keyFromLabels(LABEL_OWNER_NAMESPACE, LABEL_OWNER_NAME);
  controller.watch(consistentBackups);
  // A pod change may change what the hooks of its namespace's ConsistentBackups would reach; most pod
  // updates (status churn) change nothing in the summary preflight reads.
  controller.watch(
    pods.informer,
    (pod) => consistentBackups.list(pod.metadata?.namespace).map((cr) => objectKey(cr)),
    { updateMatters: (a, b) => !jsonEqual(a.summary, b.summary) },
  );
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
