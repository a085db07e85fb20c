// Wires the ConsistentRestore and RestoreDrill controllers into the manager, next to the ConsistentBackup controller whose
// caches it shares: its Velero Restores, and the scratch namespaces it made (only those, by label).
import { KubeRest, keyFromLabels, type Informer, type KubeObject, type Manager } from '../core/index.ts';
import {
  API_VERSION,
  LABEL_OWNER_NAME,
  LABEL_OWNER_NAMESPACE,
  MANAGER_NAME,
  VELERO_API_VERSION,
} from '../api/constants.ts';
import { RESTORE_PLURAL, type ConsistentRestore, type RestoreDrill } from '../api/consistent-restore.ts';
import type { VeleroRestore } from '../api/velero.ts';
import { MANAGED_OBJECTS_SELECTOR } from '../domain/index.ts';
import {
  LABEL_DRILL_NAME,
  LABEL_RESTORE_NAME,
  LABEL_RESTORE_UID,
  LABEL_SCRATCH_FOR,
  SCRATCH_SELECTOR,
} from '../domain/restore/index.ts';
import { RestoreDrillReconciler } from './restore-drill-reconciler.ts';
import { ConsistentRestoreReconciler, SWEEP_PREFIX } from './restore-reconciler.ts';
import { RestoreWrites } from './restore-writes.ts';
import { DrillMetrics } from './recoverability-metrics.ts';
import type { ControllerSetup, SharedCaches } from './setup.ts';

export function addRestoreController(manager: Manager, setup: ControllerSetup, shared: SharedCaches): void {
  const veleroNamespace = setup.config.veleroNamespace;
  const restores = manager.informer<ConsistentRestore>({
    resource: { apiVersion: API_VERSION, plural: RESTORE_PLURAL },
  });
  const veleroRestores = manager.informer<VeleroRestore>({
    resource: { apiVersion: VELERO_API_VERSION, plural: 'restores', namespace: veleroNamespace },
    labelSelector: MANAGED_OBJECTS_SELECTOR,
    optional: true,
  });
  const scratchNamespaces = manager.informer<KubeObject>({
    resource: { apiVersion: 'v1', plural: 'namespaces' },
    labelSelector: SCRATCH_SELECTOR,
  });
  const rest = new KubeRest(manager.kubeConfig);
  const reconciler = new ConsistentRestoreReconciler({
    veleroNamespace,
    restores,
    consistentBackups: shared.consistentBackups,
    veleroRestores,
    backups: () => [...shared.velero.namespaces.values()].flatMap((c) => c.backups.list()),
    scratchNamespaces,
    writes: new RestoreWrites(rest),
    events: manager.eventRecorder(`${API_VERSION.split('/')[0]}/${MANAGER_NAME}`),
    logger: manager.logger,
  });
  const controller = manager.controller({
    name: 'consistentrestore',
    reconciler,
    concurrency: setup.concurrency,
  });
  controller.watch(restores);
  controller.watch(veleroRestores, keyFromLabels(LABEL_OWNER_NAMESPACE, LABEL_OWNER_NAME));
  controller.watch(scratchNamespaces, (ns) => {
    const labels = ns.metadata?.labels ?? {};
    const key = `${labels[LABEL_SCRATCH_FOR]}/${labels[LABEL_RESTORE_NAME]}`;
    const cr = restores.get(key);
    return cr?.metadata?.uid === labels[LABEL_RESTORE_UID] ? key : `${SWEEP_PREFIX}${ns.metadata?.name}`;
  });
  addRestoreDrillController(manager, setup, restores, shared.drills);
  // A ConsistentBackup's first consistent backup lets its pending restores start.
  controller.watch(shared.consistentBackups, (cb) =>
    restores
      .list(cb.metadata?.namespace)
      .filter((r) => r.spec.source.consistentBackup === cb.metadata?.name && !r.status?.restoreName)
      .map((r) => `${r.metadata?.namespace}/${r.metadata?.name}`),
  );
}

/** The RestoreDrill controller: its runs are ConsistentRestores it owns (same namespace, owner reference). */
function addRestoreDrillController(
  manager: Manager,
  setup: ControllerSetup,
  restores: Informer<ConsistentRestore>,
  drills: Informer<RestoreDrill>,
): void {
  const controller = manager.controller({
    name: 'restoredrill',
    reconciler: new RestoreDrillReconciler({
      drills,
      restores,
      writes: new RestoreWrites(new KubeRest(manager.kubeConfig)),
      events: manager.eventRecorder(`${API_VERSION.split('/')[0]}/${MANAGER_NAME}`),
      logger: manager.logger,
      metrics: new DrillMetrics(manager.metrics.registry),
    }),
    concurrency: setup.concurrency,
  });
  controller.watch(drills);
  controller.watch(restores, (r) => {
    const drill = r.metadata?.labels?.[LABEL_DRILL_NAME];
    return drill ? `${r.metadata?.namespace}/${drill}` : undefined;
  });
}
