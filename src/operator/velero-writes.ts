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
import { API_VERSION, MANAGER_NAME, PLURAL, VELERO_API_VERSION } from '../api/constants.ts';
import type { ConsistentBackup, ConsistentBackupStatus } from '../api/consistent-backup.ts';
import type { DeleteBackupRequest, VeleroBackup, VeleroSchedule } from '../api/velero.ts';
import { mergePatch } from './merge-patch.ts';

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
   * Returns the updated ConsistentBackup, or undefined when nothing was sent.
   */
  async patchStatus(
    cr: ConsistentBackup,
    status: ConsistentBackupStatus,
  ): Promise<ConsistentBackup | undefined> {
    const patch = mergePatch(cr.status ?? {}, status);
    if (patch === undefined) return undefined;
    const updated = await this.rest.request<ConsistentBackup>('PATCH', `${crPath(cr)}/status`, {
      body: { status: patch },
      contentType: 'application/merge-patch+json',
      query: { fieldManager: FIELD_MANAGER },
    });
    return withoutServerBookkeeping(updated);
  }

  /**
   * Sets the finalizer list, guarded by the resourceVersion it was computed from: a concurrent change (another
   * controller's finalizer) makes this fail with a conflict and the reconcile retries on fresh data.
   */
  async setFinalizers(cr: ConsistentBackup, finalizers: string[]): Promise<ConsistentBackup> {
    const updated = await this.rest.request<ConsistentBackup>('PATCH', crPath(cr), {
      body: { metadata: { finalizers, resourceVersion: cr.metadata?.resourceVersion } },
      contentType: 'application/merge-patch+json',
      query: { fieldManager: FIELD_MANAGER },
    });
    return withoutServerBookkeeping(updated);
  }
}

function crPath(cr: ConsistentBackup): string {
  return resourcePath(
    { apiVersion: API_VERSION, plural: PLURAL, namespace: cr.metadata?.namespace ?? '' },
    cr.metadata?.name ?? '',
  );
}
