// Reads what Velero stored with a finished backup (its log, results and resource list) through
// DownloadRequests, the way `velero backup logs` does, and keeps what the grade needs. Each backup's records are
// read once: status keeps the evidence, and this process remembers it until status has caught up.
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { KubeRest, Logger } from '../core/index.ts';
import { isNotFound, resourcePath } from '../core/index.ts';
import { LABEL_MANAGED_BY, MANAGER_NAME, VELERO_API_VERSION } from '../api/constants.ts';
import type { BackupEvidence } from '../api/consistent-backup.ts';
import type { DownloadRequest, DownloadTargetKind, VeleroBackup } from '../api/velero.ts';
import { summarizeEvidence, type VeleroRecords } from '../domain/index.ts';
import { FIELD_MANAGER } from './velero-writes.ts';

/** How long Velero may take to process a DownloadRequest (it takes under a second when its storage answers). */
const PROCESS_TIMEOUT_MS = 30_000;
const POLL_MS = [100, 200, 400, 800, 1_000];
/** Results and resource lists are small; a larger one is not Velero's. */
const MAX_JSON_BYTES = 16 << 20;
const RETRY_MIN_MS = 10_000;
const RETRY_MAX_MS = 600_000;
/** Evidence remembered in this process until status has it (bounded: one entry per recent backup). */
const MAX_REMEMBERED = 2_000;

interface Failure {
  attempts: number;
  retryAtMs: number;
  message: string;
}

export interface RecordsRead {
  /** Evidence by backup name: read now or remembered, or `unavailable` for a read that failed. */
  readonly evidence: Map<string, BackupEvidence>;
  /** When a failed read may be tried again. */
  readonly retryAfterMs?: number;
}

export class VeleroRecordsReader {
  private readonly remembered = new Map<string, BackupEvidence>();
  private readonly failures = new Map<string, Failure>();

  constructor(
    private readonly rest: KubeRest,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Evidence for each of `backups`, reading the records of those not read yet (concurrently). */
  async read(backups: readonly VeleroBackup[]): Promise<RecordsRead> {
    const evidence = new Map<string, BackupEvidence>();
    const nowMs = this.now();
    let retryAtMs: number | undefined;
    await Promise.all(
      backups.map(async (backup) => {
        const name = backup.metadata.name ?? '';
        const key = backup.metadata.uid ?? `${backup.metadata.namespace}/${name}`;
        const known = this.remembered.get(key);
        if (known) return evidence.set(name, known);
        const failure = this.failures.get(key);
        if (failure && failure.retryAtMs > nowMs) {
          retryAtMs = Math.min(retryAtMs ?? Infinity, failure.retryAtMs);
          return evidence.set(name, { unavailable: failure.message });
        }
        try {
          const read = summarizeEvidence(backup, await this.records(backup));
          this.failures.delete(key);
          bounded(this.remembered, key, read);
          evidence.set(name, read);
        } catch (err) {
          const attempts = (failure?.attempts ?? 0) + 1;
          const message = err instanceof Error ? err.message : String(err);
          const next = {
            attempts,
            message,
            retryAtMs: nowMs + Math.min(RETRY_MIN_MS * 2 ** (attempts - 1), RETRY_MAX_MS),
          };
          bounded(this.failures, key, next);
          retryAtMs = Math.min(retryAtMs ?? Infinity, next.retryAtMs);
          this.logger.warn('could not read Velero records of a backup', {
            backup: name,
            attempts,
            error: message,
          });
          evidence.set(name, { unavailable: message });
        }
      }),
    );
    return { evidence, ...(retryAtMs !== undefined && { retryAfterMs: Math.max(0, retryAtMs - nowMs) }) };
  }

  private async records(backup: VeleroBackup): Promise<VeleroRecords> {
    const [log, results, resourceList] = await Promise.all([
      this.download(backup, 'BackupLog', hookLines),
      this.download(backup, 'BackupResults', boundedText),
      this.download(backup, 'BackupResourceList', boundedText),
    ]);
    return { log, results, resourceList };
  }

  /** One record through a DownloadRequest, deleted afterwards (Velero would expire it after 10 minutes). */
  private async download(
    backup: VeleroBackup,
    kind: DownloadTargetKind,
    read: (body: Readable) => Promise<string>,
  ): Promise<string> {
    const namespace = backup.metadata.namespace ?? '';
    const base = resourcePath({ apiVersion: VELERO_API_VERSION, plural: 'downloadrequests', namespace });
    const request: DownloadRequest = {
      apiVersion: VELERO_API_VERSION,
      kind: 'DownloadRequest',
      metadata: {
        generateName: `${backup.metadata.name?.slice(0, 40)}-`,
        namespace,
        labels: { [LABEL_MANAGED_BY]: MANAGER_NAME },
      },
      spec: { target: { kind, name: backup.metadata.name ?? '' } },
    };
    const created = await this.rest.request<DownloadRequest>('POST', base, {
      body: request,
      query: { fieldManager: FIELD_MANAGER },
    });
    const path = `${base}/${created.metadata.name}`;
    try {
      const url = await this.processedUrl(path, kind);
      const response = await fetch(url);
      if (!response.ok || !response.body) {
        throw new Error(`Velero's storage answered HTTP ${response.status} for the backup's ${kind}`);
      }
      const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>).pipe(createGunzip());
      return await read(body);
    } finally {
      await this.rest.request('DELETE', path).catch((err: unknown) => {
        if (!isNotFound(err))
          this.logger.debug('could not delete DownloadRequest', { path, error: String(err) });
      });
    }
  }

  private async processedUrl(path: string, kind: DownloadTargetKind): Promise<string> {
    const deadline = this.now() + PROCESS_TIMEOUT_MS;
    for (let i = 0; ; i++) {
      const current = await this.rest.request<DownloadRequest>('GET', path);
      if (current.status?.phase === 'Processed' && current.status.downloadURL)
        return current.status.downloadURL;
      if (this.now() >= deadline) {
        throw new Error(
          `Velero did not process a DownloadRequest for the backup's ${kind} within ${PROCESS_TIMEOUT_MS / 1000}s (is the Velero server running and its storage location reachable?)`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS[Math.min(i, POLL_MS.length - 1)]));
    }
  }
}

/** Sets a key, dropping the oldest entry beyond MAX_REMEMBERED (a backup's entry is needed for moments). */
function bounded<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_REMEMBERED) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}

/** The log's hook lines only: a large backup's log is mostly about items, and only hook lines are graded. */
async function hookLines(body: Readable): Promise<string> {
  const kept: string[] = [];
  for await (const line of createInterface({ input: body, crlfDelay: Infinity })) {
    if (line.includes('hook')) kept.push(line);
  }
  return kept.join('\n');
}

async function boundedText(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_JSON_BYTES) throw new Error(`a Velero record is larger than ${MAX_JSON_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
