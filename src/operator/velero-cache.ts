// The operator's view of the Velero namespaces it may use: one informer per resource and namespace, scoped
// to the objects it manages where it can be.
import type { Informer, KubeObject, Manager } from '../core/index.ts';
import { VELERO_API_VERSION } from '../api/constants.ts';
import type { BackupStorageLocation, VeleroBackup, VeleroSchedule } from '../api/velero.ts';
import { isNotFound } from '../core/index.ts';
import { MANAGED_OBJECTS_SELECTOR, ownerOf, type OwnerIdentity } from '../domain/index.ts';

export interface VeleroNamespaceCache {
  readonly backups: Informer<VeleroBackup>;
  readonly schedules: Informer<VeleroSchedule>;
  readonly storageLocations: Informer<BackupStorageLocation>;
}

export class VeleroCache {
  readonly namespaces = new Map<string, VeleroNamespaceCache>();

  constructor(manager: Manager, namespaces: readonly string[]) {
    for (const namespace of new Set(namespaces)) {
      // Optional: a cluster without Velero's CRDs must not keep the operator from starting or being ready;
      // reconciles report it instead.
      const cache = <T extends KubeObject>(plural: string, managedOnly: boolean) =>
        manager.informer<T>({
          resource: { apiVersion: VELERO_API_VERSION, plural, namespace },
          ...(managedOnly && {
            labelSelector: MANAGED_OBJECTS_SELECTOR,
            indexers: { [byOwner]: ownerIndexValues },
          }),
          optional: true,
        });
      this.namespaces.set(namespace, {
        backups: cache<VeleroBackup>('backups', true),
        schedules: cache<VeleroSchedule>('schedules', true),
        storageLocations: cache<BackupStorageLocation>('backupstoragelocations', false),
      });
    }
  }

  /**
   * Whether the Velero objects of `namespace` can be used: 'ready'; 'syncing' while the caches fill (a moment
   * after start); or why not, for a condition.
   */
  availability(namespace: string): 'ready' | 'syncing' | { reason: string; message: string } {
    const cache = this.namespaces.get(namespace);
    if (!cache)
      return { reason: 'VeleroNamespaceNotWatched', message: `Velero namespace ${namespace} is not watched` };
    const informers: Informer<KubeObject>[] = [cache.backups, cache.schedules, cache.storageLocations];
    if (informers.every((i) => i.hasSynced())) return 'ready';
    if (informers.some((i) => isNotFound(i.lastError()))) {
      return {
        reason: 'VeleroNotInstalled',
        message:
          'the velero.io CRDs (Backup, Schedule, BackupStorageLocation) are not installed in this cluster',
      };
    }
    return 'syncing';
  }

  ownedBackups(owner: OwnerIdentity): VeleroBackup[] {
    const value = ownerIndexValue(owner);
    return [...this.namespaces.values()].flatMap((c) => c.backups.byIndex(byOwner, value));
  }

  ownedSchedules(owner: OwnerIdentity): VeleroSchedule[] {
    const value = ownerIndexValue(owner);
    return [...this.namespaces.values()].flatMap((c) => c.schedules.byIndex(byOwner, value));
  }
}

// Each reconcile looks up its own Velero objects: by an index on the owner labels, not a scan of the cache.
const byOwner = 'owner';
const ownerIndexValue = (o: OwnerIdentity): string => `${o.namespace}/${o.name}/${o.uid}`;
const ownerIndexValues = (obj: KubeObject): string[] => {
  const owner = ownerOf(obj);
  return owner ? [ownerIndexValue(owner)] : [];
};
