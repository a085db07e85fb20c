// The floor the operator is measured against: a plain client that makes, per ConsistentBackup, exactly the
// writes the operator must make (finalizer, Schedule, status) with the operator's own bodies and write
// functions, under the operator's identity, over kept-alive connections, with as many workers as the
// operator has. It knows each ConsistentBackup from its create response: no watch, no cache, no reconcile.
import { KubeRest } from '../../src/core/index.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import { FINALIZER } from '../../src/api/constants.ts';
import type { ConsistentBackup } from '../../src/api/consistent-backup.ts';
import type { BackupStorageLocation } from '../../src/api/velero.ts';
import {
  type PodSummary,
  computeStatus,
  desiredVeleroObjects,
  preflightHooks,
  type OperatorConfig,
} from '../../src/domain/index.ts';
import { Writes } from '../../src/operator/velero-writes.ts';

export class Floor {
  private readonly writes: Writes;
  private readonly queue: ConsistentBackup[] = [];
  private waiting: (() => void) | undefined;
  private closed = false;
  private readonly workers: Promise<void>[];

  constructor(
    operatorKubeConfig: KubeConfig,
    private readonly config: OperatorConfig,
    private readonly storageLocation: BackupStorageLocation,
    /** The pods of each namespace, as the operator's pod cache has them. */
    private readonly pods: ReadonlyMap<string, PodSummary[]>,
    concurrency: number,
  ) {
    this.writes = new Writes(new KubeRest(operatorKubeConfig));
    this.workers = Array.from({ length: concurrency }, () => this.work());
  }

  /** A ConsistentBackup just created. */
  add(cr: ConsistentBackup): void {
    this.queue.push(cr);
    this.wake();
  }

  /** Resolves once everything added is done. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake();
    await Promise.all(this.workers);
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  private async work(): Promise<void> {
    for (;;) {
      const cr = this.queue.shift();
      if (cr) {
        await this.converge(cr);
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => {
        const previous = this.waiting;
        this.waiting = () => {
          previous?.();
          resolve();
        };
      });
    }
  }

  private async converge(created: ConsistentBackup): Promise<void> {
    const cr = await this.writes.setFinalizers(created, [FINALIZER]);
    if (!cr) throw new Error('benchmark ConsistentBackup deleted while settling');
    const pods = this.pods.get(cr.metadata?.namespace ?? '') ?? [];
    const desired = desiredVeleroObjects(cr, this.config, preflightHooks(cr, pods));
    if (!desired.ok || !desired.schedule)
      throw new Error('benchmark ConsistentBackup is not a valid scheduled one');
    const schedule = await this.writes.applySchedule(desired.schedule);
    const { status } = computeStatus({
      cr,
      config: this.config,
      pods,
      schedule,
      backups: [],
      storageLocations: [this.storageLocation],
      now: Date.now(),
    });
    await this.writes.patchStatus(cr, status);
  }
}
