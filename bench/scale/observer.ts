// Watches what the operator (or the floor) produces, from the benchmark's own process, and notes when each
// ConsistentBackup got its Schedule, was settled (finalizer, Schedule, status of its generation) and Ready.
import type { KubeConfig } from '@kubernetes/client-node';
import { Informer, type KubeObject } from '../../src/core/index.ts';
import { FINALIZER } from '../../src/api/constants.ts';
import type { ConsistentBackup } from '../../src/api/consistent-backup.ts';

interface Seen extends KubeObject {
  settled: boolean;
  ready: boolean;
}

export class Observer {
  readonly createdAt = new Map<string, number>();
  readonly scheduleAt = new Map<string, number>();
  readonly settledAt = new Map<string, number>();
  readonly readyAt = new Map<string, number>();
  private readonly informers: Informer[];
  private waiters: (() => void)[] = [];
  /** Keys `settled` waits for that are not settled yet. */
  private pending = new Set<string>();

  constructor(kubeConfig: KubeConfig) {
    const consistentBackups = new Informer<Seen>({
      kubeConfig,
      resource: { apiVersion: 'consistentbackup.io/v1alpha1', plural: 'consistentbackups' },
      transform: (obj) => {
        const cr = obj as ConsistentBackup;
        const status = cr.status;
        return {
          metadata: {
            namespace: cr.metadata?.namespace,
            name: cr.metadata?.name,
            resourceVersion: cr.metadata?.resourceVersion,
          },
          settled:
            (cr.metadata?.finalizers ?? []).includes(FINALIZER) &&
            status?.observedGeneration === cr.metadata?.generation &&
            Boolean(status?.scheduleName) &&
            (status?.conditions ?? []).some((c) => c.type === 'Ready'),
          ready: (status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
        };
      },
    });
    const note = (seen: Seen): void => {
      const key = `${seen.metadata?.namespace}/${seen.metadata?.name}`;
      const now = Date.now();
      if (seen.settled && !this.settledAt.has(key)) this.settledAt.set(key, now);
      if (seen.ready && !this.readyAt.has(key)) this.readyAt.set(key, now);
      this.check(key);
    };
    consistentBackups.addHandler({ add: note, update: (_old, seen) => note(seen) });
    const schedules = new Informer({
      kubeConfig,
      resource: { apiVersion: 'velero.io/v1', plural: 'schedules', namespace: 'velero' },
      labelSelector: 'app.kubernetes.io/managed-by=consistent-backup-operator',
      transform: (obj) => ({ metadata: { name: obj.metadata?.name, labels: obj.metadata?.labels } }),
    });
    schedules.addHandler({
      add: (s) => {
        const labels = s.metadata?.labels ?? {};
        const key = `${labels['consistentbackup.io/namespace']}/${labels['consistentbackup.io/name']}`;
        if (!this.scheduleAt.has(key)) this.scheduleAt.set(key, Date.now());
        this.check(key);
      },
    });
    this.informers = [consistentBackups, schedules];
  }

  async start(): Promise<void> {
    for (const i of this.informers) i.start();
    await Promise.all(this.informers.map((i) => i.waitForSync()));
  }

  stop(): void {
    for (const i of this.informers) i.stop();
  }

  /** Forgets everything noted, e.g. between runs that reuse names. */
  reset(): void {
    for (const m of [this.createdAt, this.scheduleAt, this.settledAt, this.readyAt]) m.clear();
  }

  /** Resolves once every key is settled and has its Schedule; reports progress meanwhile. */
  async settled(keys: string[], progress: (done: number) => void): Promise<number> {
    this.pending = new Set(keys);
    for (const key of keys) this.check(key);
    const timer = setInterval(() => progress(keys.length - this.pending.size), 5000);
    try {
      await this.until(() => this.pending.size === 0);
    } finally {
      clearInterval(timer);
    }
    return Math.max(...keys.map((k) => Math.max(this.settledAt.get(k) ?? 0, this.scheduleAt.get(k) ?? 0)));
  }

  /** Resolves once `done` holds, re-checked on every change seen. */
  async until(done: () => boolean): Promise<void> {
    while (!done()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private check(key: string): void {
    if (this.pending.has(key) && this.settledAt.has(key) && this.scheduleAt.has(key))
      this.pending.delete(key);
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Percentiles (ms) of `to - from` over the keys that have both. */
export function latencies(keys: string[], from: Map<string, number>, to: Map<string, number>): number[] {
  return keys
    .filter((k) => from.has(k) && to.has(k))
    .map((k) => (to.get(k) ?? 0) - (from.get(k) ?? 0))
    .sort((a, b) => a - b);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
