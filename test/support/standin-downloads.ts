// The stand-in's DownloadRequest handling, after Velero v1.18's download request controller
// (pkg/controller/download_request_controller.go) and an S3-like object store behind it. A new request for a
// Backup that exists, on a storage location that exists, gets phase Processed, a pre-signed URL and an
// expiration 10 minutes ahead, whatever the Backup's phase (a URL to a record not uploaded yet answers 404, as
// S3 does). A request for a missing Backup only gets its expiration and is never processed (Velero logs an
// error); an expired request is deleted. DownloadRequests have no status subresource: status is written with the
// object. Records are served gzip-compressed as plain objects (no Content-Encoding), from 127.0.0.1 only.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { describeError, type StandInContext } from './standin-context.ts';
import type { BackupRecordFiles } from './velero-backup-records.ts';
import type { WatchEventType } from './watch-loop.ts';
import {
  metaTime,
  type VeleroBackup,
  type VeleroDownloadRequest,
  type VeleroStorageLocation,
} from './velero-types.ts';

/** persistence.DownloadURLTTL. */
export const DOWNLOAD_URL_TTL_MS = 10 * 60_000;

/** The object key suffix of each record (persistence/object_store_layout.go) and which file holds it. */
const RECORDS: Record<string, { suffix: string; file: keyof BackupRecordFiles }> = {
  BackupLog: { suffix: '-logs.gz', file: 'log' },
  BackupResults: { suffix: '-results.gz', file: 'results' },
  BackupResourceList: { suffix: '-resource-list.json.gz', file: 'resourceList' },
};

/** Returns true to make the object store fail (HTTP 500) when this record of this backup is fetched. */
export type RecordsFailure = (backupName: string, kind: string) => boolean;

interface SignedUrl {
  path: string;
  backup: string;
  kind: string;
  expiresMs: number;
}

function s3Error(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  );
}

export class DownloadController {
  private server?: Server;
  private origin = '';
  private readonly signed = new Map<string, SignedUrl>();
  private readonly seen = new Set<string>();
  private readonly busy = new Set<Promise<void>>();
  private readonly expiries = new Set<NodeJS.Timeout>();

  constructor(
    private readonly ctx: StandInContext,
    private readonly recordStore: Map<string, BackupRecordFiles>,
    private readonly fails: () => RecordsFailure,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts the object store's HTTP endpoint on a free loopback port. */
  async start(): Promise<void> {
    const server = createServer((req, res) => this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const timer of this.expiries) clearTimeout(timer);
    this.expiries.clear();
    await Promise.all(this.busy);
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  onEvent(type: WatchEventType, request: VeleroDownloadRequest): void {
    const { name, uid = name } = request.metadata;
    if (type === 'DELETED' || this.ctx.stopped) return;
    const expiration = Date.parse(request.status?.expiration ?? '');
    if (expiration <= this.now()) return this.track(this.expire(name));
    // Velero gives each request one go: a request left New (its Backup missing) is only ever expired.
    if (this.seen.has(uid)) return;
    this.seen.add(uid);
    if (request.status?.phase && request.status.phase !== 'New') return;
    this.track(this.process(request));
  }

  private track(work: Promise<void>): void {
    const guarded = work.catch((err: unknown) => {
      if (!this.ctx.stopped) this.ctx.record('error', 'downloadrequests', describeError(err));
    });
    this.busy.add(guarded);
    void guarded.finally(() => this.busy.delete(guarded));
  }

  private async expire(name: string): Promise<void> {
    if (await this.ctx.retry(() => this.ctx.api.delete('downloadrequests', name))) {
      this.ctx.record('download-request', name, 'expired and deleted');
    }
  }

  /** Deletes the request when it expires (Velero's periodic resync finds it then). */
  private expireAt(name: string, atMs: number): void {
    const timer = setTimeout(() => {
      this.expiries.delete(timer);
      if (!this.ctx.stopped) this.track(this.expire(name));
    }, atMs - this.now());
    timer.unref();
    this.expiries.add(timer);
  }

  private patchStatus(name: string, status: VeleroDownloadRequest['status']) {
    return this.ctx.retry(() => this.ctx.api.mergePatch('downloadrequests', name, { status }));
  }

  private async process(request: VeleroDownloadRequest): Promise<void> {
    const { name } = request.metadata;
    const { kind, name: backupName } = request.spec.target;
    const expiresMs = this.now() + DOWNLOAD_URL_TTL_MS;
    const expiration = metaTime(new Date(expiresMs));
    const unprocessed = async (why: string) => {
      await this.patchStatus(name, { expiration });
      this.expireAt(name, expiresMs);
      this.ctx.record('download-request', name, `not processed: ${why}`);
    };
    const backup = await this.ctx.retry(() => this.ctx.api.get<VeleroBackup>('backups', backupName));
    if (!backup) return unprocessed(`fail to get backup for DownloadRequest: backup ${backupName} not found`);
    const locationName = backup.spec?.storageLocation ?? '';
    if (!locationName) {
      // A Backup Velero has not started has no storage location yet: the Get fails and Velero retries later.
      this.ctx.record('download-request', name, `backup ${backupName} has no storage location yet; retrying`);
      await this.ctx.pause();
      if (!this.ctx.stopped) await this.process(request);
      return;
    }
    const location = await this.ctx.retry(() =>
      this.ctx.api.get<VeleroStorageLocation>('backupstoragelocations', locationName),
    );
    if (!location) return unprocessed('BSL for DownloadRequest cannot be found');
    const record = RECORDS[kind];
    if (!record) {
      // GetDownloadURL refuses the kind; Velero retries such a request with backoff, never processing it.
      return this.ctx.record(
        'download-request',
        name,
        `unsupported download target kind ${JSON.stringify(kind)}`,
      );
    }
    const { bucket, prefix } = location.spec.objectStorage;
    const path = `/${bucket}/${prefix ? `${prefix}/` : ''}backups/${backupName}/${backupName}${record.suffix}`;
    const token = randomBytes(32).toString('hex');
    this.signed.set(token, { path, backup: backupName, kind, expiresMs });
    const downloadURL = `${this.origin}${path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=600&X-Amz-Signature=${token}`;
    if (!(await this.patchStatus(name, { phase: 'Processed', downloadURL, expiration }))) return;
    this.expireAt(name, expiresMs);
    this.ctx.record('download-request', name, `Processed: ${kind} of backup ${backupName}`);
  }

  /** The object store: a GET of a signed URL that has not expired answers the record, gzip-compressed. */
  private serve(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.origin);
    const signed = this.signed.get(url.searchParams.get('X-Amz-Signature') ?? '');
    if (req.method !== 'GET' || !signed || signed.path !== url.pathname) {
      return s3Error(res, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match');
    }
    if (signed.expiresMs <= this.now()) {
      this.signed.delete(url.searchParams.get('X-Amz-Signature') ?? '');
      return s3Error(res, 403, 'AccessDenied', 'Request has expired');
    }
    if (this.fails()(signed.backup, signed.kind)) {
      this.ctx.record('download-request', signed.backup, `object store failed the ${signed.kind} (injected)`);
      return s3Error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
    }
    const files = this.recordStore.get(signed.backup);
    const file = RECORDS[signed.kind]?.file;
    if (!files || !file) return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    const body = gzipSync(files[file]);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  }
}
