// The stand-in's DeleteBackupRequest handling, after Velero v1.18's backup deletion controller: the data is
// "deleted" (dropped from the simulated object store), then the Backup object; the request ends Processed and,
// when nothing failed, is itself deleted together with every other request for that backup.
import { describeError, type StandInContext } from './standin-context.ts';
import { validLabelValue } from './velero-backup-prepare.ts';
import type { BackupRecordFiles } from './velero-backup-records.ts';
import {
  LABEL_BACKUP_NAME,
  LABEL_BACKUP_UID,
  type VeleroBackup,
  type VeleroDeleteBackupRequest,
  type VeleroStorageLocation,
} from './velero-types.ts';

export class DeletionController {
  private readonly busy = new Map<string, Promise<void>>();

  constructor(
    private readonly ctx: StandInContext,
    /** The backup this process is running; Velero refuses to delete it. */
    private readonly runningBackup: () => string | undefined,
    private readonly objectStore: Map<string, VeleroBackup>,
    private readonly recordStore: Map<string, BackupRecordFiles>,
  ) {}

  onEvent(request: VeleroDeleteBackupRequest): void {
    const { name } = request.metadata;
    const phase = request.status?.phase;
    if ((phase && phase !== 'New') || this.busy.has(name) || this.ctx.stopped) return;
    const work = this.process(name)
      .catch((err: unknown) => {
        if (!this.ctx.stopped) this.ctx.record('error', name, `delete request: ${describeError(err)}`);
      })
      .finally(() => this.busy.delete(name));
    this.busy.set(name, work);
  }

  /** Resolves when the requests being processed have settled (used by stop()). */
  async settled(): Promise<void> {
    await Promise.all(this.busy.values());
  }

  private patch(name: string, patch: object) {
    return this.ctx.retry(() =>
      this.ctx.api.mergePatch<VeleroDeleteBackupRequest>('deletebackuprequests', name, patch),
    );
  }

  private async processed(name: string, errors: string[]): Promise<void> {
    await this.patch(name, { status: { phase: 'Processed', errors: errors.length > 0 ? errors : null } });
    this.ctx.record('delete-request', name, `Processed${errors.length ? `: ${errors.join('; ')}` : ''}`);
  }

  private async process(name: string): Promise<void> {
    const { api } = this.ctx;
    const retry = <T>(call: () => Promise<T>) => this.ctx.retry(call);
    const request = await retry(() => api.get<VeleroDeleteBackupRequest>('deletebackuprequests', name));
    if (!request || (request.status?.phase && request.status.phase !== 'New')) return;
    const backupName = request.spec?.backupName ?? '';
    if (!backupName) return this.processed(name, ['spec.backupName is required']);

    // Only one request per backup at a time.
    const others = await retry(() =>
      api.list<VeleroDeleteBackupRequest>(
        'deletebackuprequests',
        `${LABEL_BACKUP_NAME}=${validLabelValue(backupName)}`,
      ),
    );
    for (const other of others.items.filter((o) => o.metadata.name !== name)) {
      await retry(() => api.delete('deletebackuprequests', other.metadata.name));
    }
    if (this.runningBackup() === backupName) return this.processed(name, ['backup is still in progress']);
    const backup = await retry(() => api.get<VeleroBackup>('backups', backupName));
    if (!backup) return this.processed(name, ['backup not found']);
    const locationName = backup.spec?.storageLocation ?? '';
    const location = await retry(() =>
      api.get<VeleroStorageLocation>('backupstoragelocations', locationName),
    );
    if (!location) return this.processed(name, [`backup storage location ${locationName} not found`]);
    if (location.spec.accessMode === 'ReadOnly') {
      return this.processed(name, [
        `cannot delete backup because backup storage location ${locationName} is currently in read-only mode`,
      ]);
    }
    if (location.status?.phase !== 'Available') {
      return this.processed(name, [
        `cannot delete backup because backup storage location ${locationName} is currently in Unavailable state`,
      ]);
    }

    const labels = {
      [LABEL_BACKUP_NAME]: request.metadata.labels?.[LABEL_BACKUP_NAME] || validLabelValue(backupName),
      [LABEL_BACKUP_UID]: request.metadata.labels?.[LABEL_BACKUP_UID] || (backup.metadata.uid ?? ''),
    };
    await this.patch(name, { metadata: { labels }, status: { phase: 'InProgress' } });
    this.ctx.record('delete-request', name, `InProgress for backup ${backupName}`);
    await retry(() => api.mergePatch('backups', backupName, { status: { phase: 'Deleting' } }));
    this.ctx.record('backup', backupName, 'Deleting');
    if (!(await this.ctx.pause())) return;
    this.objectStore.delete(backupName);
    this.recordStore.delete(backupName);
    await retry(() => api.delete('backups', backupName));
    this.ctx.record('backup', backupName, 'deleted (data and object)');
    await this.processed(name, []);
    const selector = `${LABEL_BACKUP_NAME}=${labels[LABEL_BACKUP_NAME]},${LABEL_BACKUP_UID}=${labels[LABEL_BACKUP_UID]}`;
    const done = await retry(() => api.list<VeleroDeleteBackupRequest>('deletebackuprequests', selector));
    for (const request of done.items)
      await retry(() => api.delete('deletebackuprequests', request.metadata.name));
    this.ctx.record('delete-request', name, 'deleted with the other requests for the deleted backup');
  }
}
