// Every write the reconciler makes, in one place: what it writes and how (create once, server-side apply,
// merge patch) are API conventions that must not vary from call to call.
import type { KubeRest } from '../core/index.ts';
import {
  isConflict,
  isNotFound,
  resourcePath,
  withoutServerBookkeeping,
  type ResourceRef,
} from '../core/index.ts';
import { MANAGER_NAME, PLURAL, VELERO_API_VERSION } from '../api/constants.ts';
import type { ConsistentBackup, ConsistentBackupStatus } from '../api/consistent-backup.ts';
import type { DeleteBackupRequest, VeleroBackup, VeleroSchedule } from '../api/velero.ts';
import { patchStatusOf, setFinalizersOf } from './restore-writes.ts';

/** The one field manager of every object the operator applies. */
export const FIELD_MANAGER = MANAGER_NAME;

const velero = (plural: string, namespace: string): ResourceRef => ({
  apiVersion: VELERO_API_VERSION,
  plural,
  namespace,
});

export class Writes {
  private readonly rest: KubeRest;

  constructor(rest: KubeRest) {
    this.rest = rest;
  }

  /** Creates a Backup once. AlreadyExists means an earlier reconcile (maybe another process) made it: done. */
  async createBackup(backup: VeleroBackup): Promise<'created' | 'existed'> {
    try {
      await this.rest.request('POST', resourcePath(velero('backups', backup.metadata.namespace ?? '')), {
        body: backup,
        query: { fieldManager: FIELD_MANAGER },
      });
      return 'created';
    } catch (err) {
      if (isConflict(err)) return 'existed';
      throw err;
    }
  }

  /** Server-side applies a Schedule with the operator's field manager, taking over conflicting fields. */
  async applySchedule(schedule: VeleroSchedule): Promise<VeleroSchedule> {
    const ref = velero('schedules', schedule.metadata.namespace ?? '');
    const applied = await this.rest.request<VeleroSchedule>(
      'PATCH',
      resourcePath(ref, schedule.metadata.name),
      {
        body: schedule,
        contentType: 'application/apply-patch+yaml',
        query: { fieldManager: FIELD_MANAGER, force: true },
      },
    );
    return withoutServerBookkeeping(applied);
  }

  async deleteSchedule(namespace: string, name: string): Promise<void> {
    try {
      await this.rest.request('DELETE', resourcePath(velero('schedules', namespace), name));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Asks Velero to delete a backup and its data; deterministic names make a repeated request a no-op. */
  async requestBackupDeletion(request: DeleteBackupRequest): Promise<void> {
    try {
      await this.rest.request(
        'POST',
        resourcePath(velero('deletebackuprequests', request.metadata.namespace ?? '')),
        {
          body: request,
          query: { fieldManager: FIELD_MANAGER },
        },
      );
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }

  /**
   * Merge-patches the status subresource with the difference only; nothing is sent when nothing changed.
   * Returns the updated ConsistentBackup, or undefined when nothing was sent (or it is gone).
   */
  patchStatus(cr: ConsistentBackup, status: ConsistentBackupStatus): Promise<ConsistentBackup | undefined> {
    return patchStatusOf(this.rest, PLURAL, cr, status);
  }

  /** Sets the finalizer list, guarded by the resourceVersion it was computed from; undefined: it is gone. */
  setFinalizers(cr: ConsistentBackup, finalizers: string[]): Promise<ConsistentBackup | undefined> {
    return setFinalizersOf(this.rest, PLURAL, cr, finalizers);
  }
}
