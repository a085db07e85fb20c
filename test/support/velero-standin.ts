// TEST STAND-IN for the Velero v1.18 server. No Velero runs in the tests: this plays its part against a real
// API server, through the Kubernetes API only (never into the operator), plus the object storage's download
// URLs on 127.0.0.1. It watches Backups, Schedules, DeleteBackupRequests, DownloadRequests and
// BackupStorageLocations in its namespace and reacts the way Velero's controllers do (see standin-backups.ts,
// standin-schedules.ts, standin-deletions.ts, standin-downloads.ts); hooks are accounted, not executed, and
// logged the way Velero logs them (velero-backup-records.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CoreV1Api,
  VersionApi,
  type KubeConfig,
  type V1OwnerReference,
  type V1Pod,
} from '@kubernetes/client-node';
import { BackupController } from './standin-backups.ts';
import {
  describeError,
  retryTransient,
  type StandInContext,
  type StandInEvent,
  type StandInEventKind,
} from './standin-context.ts';
import { DeletionController } from './standin-deletions.ts';
import { DownloadController, type RecordsFailure } from './standin-downloads.ts';
import { ScheduleController } from './standin-schedules.ts';
import { isConflict, VeleroApi, type VeleroPlural } from './velero-api.ts';
import type { BackupRecordFiles } from './velero-backup-records.ts';
import type { HookFailure, HookRun } from './velero-hooks.ts';
import { WatchLoop, type WatchEventType } from './watch-loop.ts';
import {
  metaTime,
  VELERO_GROUP,
  VELERO_VERSION,
  type StorageLocationPhase,
  type VeleroBackup,
  type VeleroDeleteBackupRequest,
  type VeleroDownloadRequest,
  type VeleroObject,
  type VeleroSchedule,
  type VeleroStorageLocation,
} from './velero-types.ts';

export type { StandInEvent, StandInEventKind } from './standin-context.ts';
export type { RecordsFailure } from './standin-downloads.ts';
export type { BackupRecordFiles } from './velero-backup-records.ts';
export type { HookFailure, HookRun } from './velero-hooks.ts';

export interface VeleroStandInOptions {
  /** Velero's namespace (default 'velero'); created by start() if missing. */
  namespace?: string;
  /** Delay between a backup's phase writes (default 200 ms), so observers can see each phase. */
  phaseDelayMs?: number;
  /** The server's default storage location name (Velero's --default-backup-storage-location, 'default'). */
  defaultStorageLocation?: string;
  /** Create scheduled Backups at their cron times too (off: tests call runSchedule). */
  autoFire?: boolean;
  /**
   * The simulated object storage: backups that completed, by name. Pass the same map to a second stand-in to
   * simulate a Velero restart that keeps its bucket.
   */
  objectStore?: Map<string, VeleroBackup>;
  /** The log, results and resource list of those backups, by name; share it along with `objectStore`. */
  recordStore?: Map<string, BackupRecordFiles>;
  /** Called with every event as it is recorded (e.g. console.log while debugging a test). */
  onEvent?: (event: StandInEvent) => void;
}

export interface BackupFailureInjection {
  phase: 'Failed' | 'PartiallyFailed';
  /** How many of the next backups to start fail this way (default 1). */
  count?: number;
  /** Only backups for which this returns true (default: any). */
  match?: (backup: VeleroBackup) => boolean;
}

export type HookFailureInjection = (backup: VeleroBackup, pod: V1Pod, hook: HookRun) => HookFailure;

/** What a hook prints on stdout when it succeeds (undefined: nothing). */
export type HookOutput = (backup: VeleroBackup, pod: V1Pod, hook: HookRun) => string | undefined;

/** Backups matching a hold stay InProgress, before their last item block's post hooks, until released. */
export interface BackupHold {
  /** Resolves with the name of the first backup parked by this hold; rejects after `timeoutMs` (30 s). */
  reached(timeoutMs?: number): Promise<string>;
  release(): void;
}

interface HoldState {
  match: (backup: VeleroBackup) => boolean;
  released: Promise<void>;
  isReleased: boolean;
  onReached(name: string): void;
}

export class VeleroStandIn implements StandInContext {
  readonly namespace: string;
  readonly api: VeleroApi;
  readonly core: CoreV1Api;
  readonly events: StandInEvent[] = [];
  readonly stopping: Promise<void>;
  private stoppedFlag = false;
  private signalStop!: () => void;
  private phaseDelayMs: number;
  private readonly objectStore: Map<string, VeleroBackup>;
  private readonly failures: Required<BackupFailureInjection>[] = [];
  private hookFailure: HookFailureInjection = () => false;
  private hookOutput: HookOutput = () => undefined;
  private recordsFailure: RecordsFailure = () => false;
  private readonly recordStore: Map<string, BackupRecordFiles>;
  private readonly holds: HoldState[] = [];
  /** Storage location phases the test declared; the stand-in's "BSL validation" leaves these alone. */
  private readonly declaredPhases = new Map<string, StorageLocationPhase>();
  private readonly watches: { stop(): Promise<void> }[] = [];
  private backups?: BackupController;
  private schedules?: ScheduleController;
  private deletions?: DeletionController;
  private downloads?: DownloadController;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly options: VeleroStandInOptions = {},
  ) {
    this.namespace = options.namespace ?? 'velero';
    this.phaseDelayMs = options.phaseDelayMs ?? 200;
    this.objectStore = options.objectStore ?? new Map();
    this.recordStore = options.recordStore ?? new Map();
    this.api = new VeleroApi(kubeConfig, this.namespace);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.stopping = new Promise((resolve) => (this.signalStop = resolve));
  }

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  record(kind: StandInEventKind, name: string, message: string): void {
    const event = { at: new Date(), kind, name, message };
    this.events.push(event);
    this.options.onEvent?.(event);
  }

  retry<T>(call: () => Promise<T>): Promise<T> {
    return retryTransient(call, () => this.stoppedFlag);
  }

  async pause(): Promise<boolean> {
    await Promise.race([sleep(this.phaseDelayMs), this.stopping]);
    return !this.stoppedFlag;
  }

  /** Starts like a Velero server: recovers interrupted backups, then watches its namespace. */
  async start(): Promise<void> {
    if (this.backups) throw new Error('the Velero stand-in was already started');
    await this.ensureNamespace();
    const version = await this.retry(() => this.kubeConfig.makeApiClient(VersionApi).getCode());
    const serverVersion = { gitVersion: version.gitVersion, major: version.major, minor: version.minor };
    const backups = new BackupController(
      this,
      {
        takeFailure: (backup) => this.takeFailure(backup),
        hookFails: (backup, pod, hook) => this.hookFailure(backup, pod, hook),
        hookStdout: (backup, pod, hook) => this.hookOutput(backup, pod, hook),
        hold: (backup) => this.holdFor(backup),
      },
      {
        defaultLocation: this.options.defaultStorageLocation ?? 'default',
        serverVersion,
        objectStore: this.objectStore,
        recordStore: this.recordStore,
      },
    );
    const schedules = new ScheduleController(this, this.options.autoFire ?? false);
    const deletions = new DeletionController(this, () => backups.running, this.objectStore, this.recordStore);
    const downloads = new DownloadController(this, this.recordStore, () => this.recordsFailure);
    [this.backups, this.schedules, this.deletions, this.downloads] = [
      backups,
      schedules,
      deletions,
      downloads,
    ];
    await downloads.start();
    await backups.recoverAfterRestart();
    await this.watch<VeleroBackup>('backups', () => backups.kick());
    await this.watch<VeleroSchedule>('schedules', (type, obj) => schedules.onEvent(type, obj));
    await this.watch<VeleroDeleteBackupRequest>('deletebackuprequests', (type, obj) => {
      if (type !== 'DELETED') deletions.onEvent(obj);
    });
    await this.watch<VeleroDownloadRequest>('downloadrequests', (type, obj) => downloads.onEvent(type, obj));
    await this.watch<VeleroStorageLocation>('backupstoragelocations', (type, obj) => {
      if (type !== 'DELETED') this.validateLocation(obj);
    });
    this.record('server', this.namespace, 'started');
  }

  /** Stops watching and abandons in-flight work (an InProgress backup stays InProgress, as after a crash). */
  async stop(): Promise<void> {
    if (this.stoppedFlag) return;
    this.stoppedFlag = true;
    this.signalStop();
    await Promise.all(this.watches.map((w) => w.stop()));
    await this.schedules?.stop();
    await this.backups?.settled();
    await this.deletions?.settled();
    await this.downloads?.stop();
    this.record('server', this.namespace, 'stopped');
  }

  private async ensureNamespace(): Promise<void> {
    try {
      await this.retry(() => this.core.createNamespace({ body: { metadata: { name: this.namespace } } }));
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }

  private async watch<T extends VeleroObject>(
    plural: VeleroPlural,
    onEvent: (type: WatchEventType, obj: T) => void,
  ): Promise<void> {
    const loop = new WatchLoop<T>(this.kubeConfig, {
      path: this.api.path(plural),
      list: () => this.retry(() => this.api.list<T>(plural)),
      onEvent,
      onError: (err) => this.record('error', plural, `watch: ${describeError(err)}`),
    });
    this.watches.push(loop);
    await loop.start();
  }

  /** The next `count` backups to start end in `phase` (PartiallyFailed: one more error; Failed: failureReason). */
  failNextBackups({ phase, count = 1, match = () => true }: BackupFailureInjection): void {
    this.failures.push({ phase, count, match });
  }

  private takeFailure(backup: VeleroBackup): 'Failed' | 'PartiallyFailed' | undefined {
    const injection = this.failures.find((f) => f.count > 0 && f.match(backup));
    if (!injection) return undefined;
    injection.count--;
    return injection.phase;
  }

  /**
   * Hooks for which `predicate` returns true fail as if their command exited 1, 'timeout': as if it outlasted
   * the hook's timeout (undefined: none fail).
   */
  failHooks(predicate?: HookFailureInjection): void {
    this.hookFailure = predicate ?? (() => false);
  }

  /** What hooks print on stdout when they succeed, as the backup log shows it (undefined: nothing). */
  setHookOutput(output?: HookOutput): void {
    this.hookOutput = output ?? (() => undefined);
  }

  /** The object store fails (HTTP 500) fetches of the records for which `predicate` is true (undefined: none). */
  failRecords(predicate?: RecordsFailure): void {
    this.recordsFailure = predicate ?? (() => false);
  }

  /** The records a backup this stand-in ran left in object storage (uncompressed); undefined before upload. */
  records(backupName: string): BackupRecordFiles | undefined {
    return this.recordStore.get(backupName);
  }

  setPhaseDelay(ms: number): void {
    this.phaseDelayMs = ms;
  }

  /** Holds every backup that starts from now on and matches, until release(). */
  holdBackups(match: (backup: VeleroBackup) => boolean = () => true): BackupHold {
    let reached!: (name: string) => void;
    const parked = new Promise<string>((resolve) => (reached = resolve));
    let release!: () => void;
    const hold: HoldState = {
      match,
      isReleased: false,
      released: new Promise<void>((resolve) => (release = resolve)),
      onReached: (name) => reached(name),
    };
    this.holds.push(hold);
    return {
      reached: (timeoutMs = 30_000) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no backup reached the hold within ${timeoutMs} ms`)),
            timeoutMs,
          );
        });
        return Promise.race([parked, timeout]).finally(() => clearTimeout(timer));
      },
      release: () => {
        hold.isReleased = true;
        release();
      },
    };
  }

  private holdFor(backup: VeleroBackup): Promise<void> | undefined {
    const hold = this.holds.find((h) => !h.isReleased && h.match(backup));
    hold?.onReached(backup.metadata.name);
    return hold?.released;
  }

  /** The hooks Velero would have counted for a backup this stand-in ran, in order. */
  hookRuns(backupName: string): HookRun[] {
    return [...(this.backups?.hookRuns.get(backupName) ?? [])];
  }

  /** Creates the Backup Velero's schedule controller would create at the tick `at`; undefined if none. */
  runSchedule(name: string, at: Date = new Date()): Promise<VeleroBackup | undefined> {
    if (!this.schedules) throw new Error('start() the Velero stand-in first');
    return this.schedules.run(name, at);
  }

  /** Creates the BSL if missing (provider aws) and sets its status.phase. */
  async ensureStorageLocation(
    name = 'default',
    opts: { phase?: StorageLocationPhase; default?: boolean; accessMode?: 'ReadWrite' | 'ReadOnly' } = {},
  ): Promise<VeleroStorageLocation> {
    const phase = opts.phase ?? 'Available';
    this.declaredPhases.set(name, phase);
    const body: VeleroStorageLocation = {
      apiVersion: `${VELERO_GROUP}/${VELERO_VERSION}`,
      kind: 'BackupStorageLocation',
      metadata: { name, namespace: this.namespace },
      spec: {
        provider: 'aws',
        objectStorage: { bucket: 'velero-stand-in' },
        ...(opts.default === undefined ? {} : { default: opts.default }),
        ...(opts.accessMode ? { accessMode: opts.accessMode } : {}),
      },
    };
    try {
      await this.retry(() => this.api.create('backupstoragelocations', body));
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
    return this.setStorageLocationPhase(name, phase);
  }

  async setStorageLocationPhase(name: string, phase: StorageLocationPhase): Promise<VeleroStorageLocation> {
    this.declaredPhases.set(name, phase);
    const status = { phase, lastValidationTime: metaTime(new Date()) };
    const patched = await this.retry(() =>
      this.api.mergePatch<VeleroStorageLocation>('backupstoragelocations', name, { status }),
    );
    if (!patched) throw new Error(`BackupStorageLocation ${this.namespace}/${name} does not exist`);
    this.record('storage-location', name, phase);
    return patched;
  }

  /** Velero validates every BSL; here the object store is reachable unless the test declared otherwise. */
  private validateLocation(location: VeleroStorageLocation): void {
    const { name } = location.metadata;
    if (location.status?.phase || this.declaredPhases.has(name) || this.stoppedFlag) return;
    const status = { phase: 'Available', lastValidationTime: metaTime(new Date()) };
    this.retry(() => this.api.mergePatch('backupstoragelocations', name, { status }))
      .then(() => this.record('storage-location', name, 'Available (validated by the stand-in)'))
      .catch((err: unknown) => this.record('error', name, `storage location: ${describeError(err)}`));
  }

  /**
   * Velero's backup sync: Backups whose data is in object storage but whose object is gone come back (deleting
   * a Backup object does not delete its data). Returns the names recreated.
   */
  async syncBackupsFromStorage(): Promise<string[]> {
    const recreated: string[] = [];
    for (const [name, stored] of this.objectStore) {
      if (await this.retry(() => this.api.get('backups', name))) continue;
      const {
        uid: _uid,
        resourceVersion: _rv,
        creationTimestamp: _ct,
        managedFields: _mf,
        ...metadata
      } = stored.metadata;
      metadata.ownerReferences = await this.liveOwners(stored);
      await this.retry(() => this.api.create('backups', { ...stored, metadata: { ...metadata, name } }));
      this.record('backup', name, 'synced back from object storage');
      recreated.push(name);
    }
    return recreated;
  }

  /** filterBackupOwnerReferences: only owning Schedules that still exist are kept, with their current UID. */
  private async liveOwners(backup: VeleroBackup): Promise<V1OwnerReference[] | undefined> {
    const kept: V1OwnerReference[] = [];
    for (const ref of backup.metadata.ownerReferences ?? []) {
      const owner =
        ref.kind === 'Schedule' ? await this.retry(() => this.api.get('schedules', ref.name)) : undefined;
      if (owner) kept.push({ ...ref, uid: owner.metadata.uid ?? ref.uid });
    }
    return kept.length > 0 ? kept : undefined;
  }
}
