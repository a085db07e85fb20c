// The stand-in's Backup processing, after Velero v1.18's backup queue, backup and finalizer controllers:
// "" / New -> Queued (queuePosition) -> ReadyToStart -> InProgress | FailedValidation -> Finalizing |
// FinalizingPartiallyFailed | Failed -> Completed | PartiallyFailed. One backup runs at a time (Velero's
// default --concurrent-backups=1). Each Backup is processed once; finished ones are never revisited. Its log,
// results and resource list are "uploaded" when its item walk ends, for DownloadRequests to serve.
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import { parseGoDuration } from './go-duration.ts';
import { prepareBackup, type ClusterFacts } from './velero-backup-prepare.ts';
import { BackupRecorder, type BackupRecordFiles } from './velero-backup-records.ts';
import { HookTracker, runPodHooks, type HookFailure, type HookKnobs, type HookRun } from './velero-hooks.ts';
import { backupIncludesPod, shouldInclude } from './velero-selection.ts';
import { describeError, type StandInContext } from './standin-context.ts';
import {
  LABEL_EXCLUDE_FROM_BACKUP,
  metaTime,
  type BackupPhase,
  type BackupSpec,
  type VeleroBackup,
  type VeleroStorageLocation,
} from './velero-types.ts';

/** The test's knobs, consulted as a backup runs. */
export interface BackupKnobs {
  /** An injected end for this backup, consumed when it starts. */
  takeFailure(backup: VeleroBackup): 'Failed' | 'PartiallyFailed' | undefined;
  hookFails(backup: VeleroBackup, pod: V1Pod, hook: HookRun): HookFailure;
  /** What a hook that succeeds prints. */
  hookStdout(backup: VeleroBackup, pod: V1Pod, hook: HookRun): string | undefined;
  /** Parks the backup InProgress until the returned promise settles (undefined: no hold). */
  hold(backup: VeleroBackup): Promise<void> | undefined;
}

export interface BackupControllerOptions {
  defaultLocation: string;
  serverVersion: ClusterFacts['serverVersion'];
  /** Backups "uploaded" to object storage, by name: what a BSL sync would bring back. */
  objectStore: Map<string, VeleroBackup>;
  /** Each backup's log, results and resource list in the same object storage, by backup name. */
  recordStore: Map<string, BackupRecordFiles>;
}

const NEW_PHASES: (BackupPhase | undefined)[] = [undefined, 'New'];
const byQueuePosition = (a: VeleroBackup, b: VeleroBackup) =>
  (a.status?.queuePosition ?? 0) - (b.status?.queuePosition ?? 0);
const byCreation = (a: VeleroBackup, b: VeleroBackup) =>
  // Raw JSON from the custom objects API: timestamps are strings despite V1ObjectMeta's Date type.
  String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)) ||
  a.metadata.name.localeCompare(b.metadata.name);

export class BackupController {
  /** The backup this process is running (Velero's backup tracker); DeleteBackupRequests refuse it. */
  running?: string;
  readonly hookRuns = new Map<string, HookRun[]>();
  private readonly started = new Set<string>();
  private readonly undecodable = new Set<string>();
  private pumping?: Promise<void>;
  private pumpAgain = false;
  private run?: Promise<void>;

  constructor(
    private readonly ctx: StandInContext,
    private readonly knobs: BackupKnobs,
    private readonly options: BackupControllerOptions,
  ) {}

  /** Level-triggered: any Backup event re-examines the whole queue. */
  kick(): void {
    if (this.ctx.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = (async () => {
      do {
        this.pumpAgain = false;
        try {
          await this.pump();
        } catch (err) {
          if (!this.ctx.stopped) this.ctx.record('error', 'backups', `queue: ${describeError(err)}`);
        }
      } while (this.pumpAgain && !this.ctx.stopped);
      this.pumping = undefined;
    })();
  }

  /** Resolves when queueing and the running backup have settled (used by stop()). */
  async settled(): Promise<void> {
    await this.pumping;
    await this.run;
  }

  /**
   * What Velero does on server start: InProgress backups are marked Failed (their post hooks never run), and
   * the finalizer controller completes backups left in Finalizing.
   */
  async recoverAfterRestart(): Promise<void> {
    const { items } = await this.ctx.retry(() => this.ctx.api.list<VeleroBackup>('backups'));
    for (const backup of items) {
      const { name } = backup.metadata;
      const phase = backup.status?.phase;
      if (phase === 'InProgress') {
        const failureReason = `found a backup with status "InProgress" during the server starting, mark it as "Failed"`;
        await this.patch(name, {
          status: { phase: 'Failed', failureReason, completionTimestamp: metaTime(new Date()) },
        });
        this.ctx.record('backup', name, `Failed: ${failureReason}`);
      } else if (phase === 'Finalizing' || phase === 'FinalizingPartiallyFailed') {
        await this.finish(backup, phase === 'Finalizing' ? 'Completed' : 'PartiallyFailed');
      }
    }
  }

  private patch(name: string, patch: object): Promise<VeleroBackup | undefined> {
    return this.ctx.retry(() => this.ctx.api.mergePatch<VeleroBackup>('backups', name, patch));
  }

  private async pump(): Promise<void> {
    const { items } = await this.ctx.retry(() => this.ctx.api.list<VeleroBackup>('backups'));
    let last = Math.max(
      0,
      ...items.filter((b) => b.status?.phase === 'Queued').map((b) => b.status?.queuePosition ?? 0),
    );
    for (const backup of items.filter((b) => NEW_PHASES.includes(b.status?.phase)).sort(byCreation)) {
      if (this.ctx.stopped) return;
      if (!this.decodable(backup)) continue;
      last++;
      if (await this.patch(backup.metadata.name, { status: { phase: 'Queued', queuePosition: last } })) {
        this.ctx.record('backup', backup.metadata.name, `Queued at position ${last}`);
        backup.status = { ...backup.status, phase: 'Queued', queuePosition: last };
      }
    }
    if (this.running || this.ctx.stopped) return;
    const queued = items.filter((b) => b.status?.phase === 'Queued').sort(byQueuePosition);
    const next = queued.shift();
    if (!next) return;
    const { name } = next.metadata;
    if (!(await this.patch(name, { status: { phase: 'ReadyToStart', queuePosition: null } }))) return;
    this.ctx.record('backup', name, 'ReadyToStart');
    this.running = name;
    this.run = this.runBackup(name)
      .catch((err: unknown) => {
        if (!this.ctx.stopped) this.ctx.record('error', name, `backup run: ${describeError(err)}`);
      })
      .finally(() => {
        this.running = undefined;
        this.kick();
      });
    for (const [i, backup] of queued.entries()) {
      if (backup.status?.queuePosition !== i + 1) {
        await this.patch(backup.metadata.name, { status: { queuePosition: i + 1 } });
      }
    }
  }

  /** Velero's informer cannot decode a Backup whose durations Go refuses, so such a Backup stays New. */
  private decodable(backup: VeleroBackup): boolean {
    const spec: BackupSpec = backup.spec ?? {};
    for (const field of ['ttl', 'csiSnapshotTimeout', 'itemOperationTimeout'] as const) {
      const value = spec[field];
      if (value === undefined) continue;
      try {
        parseGoDuration(value);
      } catch (err) {
        if (!this.undecodable.has(backup.metadata.name)) {
          this.undecodable.add(backup.metadata.name);
          this.ctx.record(
            'error',
            backup.metadata.name,
            `cannot decode spec.${field}: ${(err as Error).message}`,
          );
        }
        return false;
      }
    }
    return true;
  }

  private async clusterFacts(): Promise<{ facts: ClusterFacts; namespaces: V1Namespace[] }> {
    const [locations, namespaces] = await Promise.all([
      this.ctx.retry(() => this.ctx.api.list<VeleroStorageLocation>('backupstoragelocations')),
      this.ctx.retry(() => this.ctx.core.listNamespace()),
    ]);
    const facts: ClusterFacts = {
      storageLocations: locations.items,
      namespacesExcludedByLabel: namespaces.items
        .filter((ns) => ns.metadata?.labels?.[LABEL_EXCLUDE_FROM_BACKUP] === 'true')
        .map((ns) => ns.metadata?.name ?? ''),
      serverVersion: this.options.serverVersion,
      defaultLocation: this.options.defaultLocation,
      now: new Date(),
    };
    return { facts, namespaces: namespaces.items };
  }

  private async runBackup(name: string): Promise<void> {
    if (!(await this.ctx.pause())) return;
    const backup = await this.ctx.retry(() => this.ctx.api.get<VeleroBackup>('backups', name));
    const uid = backup?.metadata.uid ?? '';
    if (!backup || backup.status?.phase !== 'ReadyToStart' || this.started.has(uid)) return;
    this.started.add(uid);

    const { facts, namespaces } = await this.clusterFacts();
    const prepared = prepareBackup(backup, facts);
    const inProgress = await this.patch(name, prepared.patch);
    if (!inProgress) return this.ctx.record('backup', name, 'vanished before it started');
    if (prepared.validationErrors.length > 0) {
      return this.ctx.record('backup', name, `FailedValidation: ${prepared.validationErrors.join('; ')}`);
    }
    this.ctx.record('backup', name, 'InProgress');
    const injected = this.knobs.takeFailure(inProgress);
    const outcome = await this.backUpItems(inProgress, prepared.spec, namespaces);
    if (!outcome || this.ctx.stopped) return; // A stopped server leaves the backup InProgress, as a crash would.

    if (injected === 'PartiallyFailed') outcome.recorder.error('the Velero stand-in injected a backup error');
    if (injected === 'Failed') outcome.recorder.error('the Velero stand-in injected a fatal backup error');
    this.options.recordStore.set(name, outcome.recorder.files(outcome.items));
    const errors = outcome.errors + (injected === 'PartiallyFailed' ? 1 : 0);
    const hookStatus = {
      hooksAttempted: outcome.attempted || undefined,
      hooksFailed: outcome.failed || undefined,
    };
    const progress = { totalItems: outcome.items || undefined, itemsBackedUp: outcome.items || undefined };
    // The backupper's own patch at the end of the item walk.
    if (!(await this.patch(name, { status: { progress, hookStatus } }))) return;
    if (!(await this.ctx.pause())) return;
    if (injected === 'Failed') {
      // Like a fatal error of the item walk: Velero goes straight to Failed, completion time set.
      const failureReason = 'the Velero stand-in injected a fatal backup error';
      const status = {
        phase: 'Failed',
        failureReason,
        errors: errors || undefined,
        completionTimestamp: metaTime(new Date()),
      };
      if (await this.patch(name, { status })) this.ctx.record('backup', name, `Failed: ${failureReason}`);
      return;
    }
    const finalizing = errors > 0 ? 'FinalizingPartiallyFailed' : 'Finalizing';
    const persisted = await this.patch(name, { status: { phase: finalizing, errors: errors || undefined } });
    if (!persisted) return;
    this.ctx.record('backup', name, `${finalizing} (errors ${errors})`);
    if (!(await this.ctx.pause())) return;
    await this.finish(persisted, errors > 0 ? 'PartiallyFailed' : 'Completed');
  }

  private async finish(backup: VeleroBackup, phase: 'Completed' | 'PartiallyFailed'): Promise<void> {
    const { name } = backup.metadata;
    const done = await this.patch(name, { status: { phase, completionTimestamp: metaTime(new Date()) } });
    if (!done) return;
    this.options.objectStore.set(name, done);
    const hooks = done.status?.hookStatus;
    this.ctx.record(
      'backup',
      name,
      `${phase} (hooks attempted ${hooks?.hooksAttempted ?? 0}, failed ${hooks?.hooksFailed ?? 0}, errors ${done.status?.errors ?? 0})`,
    );
  }

  /**
   * The item walk, reduced to what is observable: pods in item blocks (one block per pod here), each block's
   * pre hooks, its items, then its post hooks. A hold parks the backup before the last block's post hooks.
   */
  private async backUpItems(backup: VeleroBackup, spec: BackupSpec, namespaces: V1Namespace[]) {
    const pods = (await this.ctx.retry(() => this.ctx.core.listPodForAllNamespaces())).items
      .filter((pod) => backupIncludesPod(spec, pod))
      .sort((a, b) =>
        `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(
          `${b.metadata?.namespace}/${b.metadata?.name}`,
        ),
      );
    const resourceHooks = spec.hooks?.resources ?? [];
    const tracker = new HookTracker();
    const recorder = new BackupRecorder(`${backup.metadata.namespace}/${backup.metadata.name}`);
    this.hookRuns.set(backup.metadata.name, tracker.runs);
    const knobs: HookKnobs = {
      fails: (pod, run) => this.knobs.hookFails(backup, pod, run),
      stdout: (pod, run) => this.knobs.hookStdout(backup, pod, run),
    };
    const included = namespaces
      .map((ns) => ns.metadata?.name ?? '')
      .filter((ns) => shouldInclude(ns, spec.includedNamespaces, spec.excludedNamespaces));
    for (const ns of included) recorder.item('v1/Namespace', 'namespaces', '', ns, true);
    // A pod a failed pre hook left out is still counted: Velero marks it backed up so that it is skipped.
    const itemsBackedUp = included.length + pods.length;
    const report = (from: number) => {
      for (const run of tracker.runs.slice(from)) {
        const where = `${run.phase} ${run.source} hook ${run.hookName ? `"${run.hookName}"[${run.index}]` : ''}`;
        this.ctx.record(
          'hook',
          run.pod,
          `${where} in container "${run.container}": ${run.outcome}${run.error ? `: ${run.error}` : ''} (backup ${backup.metadata.name})`,
        );
      }
    };
    const phase = (which: 'pre' | 'post', pod: V1Pod) => {
      const [seen, logged] = [tracker.runs.length, tracker.executions.length];
      const failed = runPodHooks(which, pod, resourceHooks, tracker, knobs);
      report(seen);
      recorder.hooks(tracker.executions.slice(logged));
      if (failed !== undefined) {
        tracker.errorLines++; // "Error running <phase> hooks for pod"
        recorder.podHooksFailed(which, pod.metadata?.name ?? '', failed);
      }
      return failed !== undefined;
    };
    for (const [i, pod] of pods.entries()) {
      const preFailed = phase('pre', pod);
      const [namespace, name] = [pod.metadata?.namespace ?? '', pod.metadata?.name ?? ''];
      recorder.item('v1/Pod', 'pods', namespace, name, !preFailed);
      if (i === pods.length - 1 && !(await this.parkIfHeld(backup))) return undefined;
      if (!preFailed) phase('post', pod);
    }
    if (pods.length === 0 && !(await this.parkIfHeld(backup))) return undefined;
    return {
      attempted: tracker.attempted,
      failed: tracker.failed,
      errors: tracker.errorLines,
      items: itemsBackedUp,
      recorder,
    };
  }

  /** Waits while a test holds this backup; false when the stand-in stopped meanwhile. */
  private async parkIfHeld(backup: VeleroBackup): Promise<boolean> {
    const held = this.knobs.hold(backup);
    if (!held) return !this.ctx.stopped;
    this.ctx.record('backup', backup.metadata.name, 'held InProgress by the test');
    await Promise.race([held, this.ctx.stopping]);
    if (!this.ctx.stopped) this.ctx.record('backup', backup.metadata.name, 'released by the test');
    return !this.ctx.stopped;
  }
}
