import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What a work queue reports; the queue calls these, the metrics side decides how to publish them. */
export interface QueueMetrics {
  depth(n: number): void;
  added(): void;
  retried(): void;
  /** An item left the queue for a worker after waiting `seconds`. */
  started(seconds: number): void;
  /** A worker finished an item after `seconds`. */
  finished(seconds: number): void;
  /** Called at scrape time for the in-flight gauges. */
  observeInFlight(probe: () => InFlight): void;
}

export interface InFlight {
  longestRunningSeconds: number;
  unfinishedSeconds: number;
}

export type ReconcileResult = 'success' | 'error' | 'requeue' | 'requeue_after';

export interface ControllerMetrics {
  maxConcurrentReconciles(n: number): void;
  activeWorkers(delta: number): void;
  reconciled(result: ReconcileResult, seconds: number): void;
}

export const noopQueueMetrics: QueueMetrics = {
  depth: () => {},
  added: () => {},
  retried: () => {},
  started: () => {},
  finished: () => {},
  observeInFlight: () => {},
};

export const noopControllerMetrics: ControllerMetrics = {
  maxConcurrentReconciles: () => {},
  activeWorkers: () => {},
  reconciled: () => {},
};

const reconcileResults: ReconcileResult[] = ['success', 'error', 'requeue', 'requeue_after'];
// 10 ns .. 1000 s, the span client-go's workqueue histograms cover.
const queueBuckets = Array.from({ length: 12 }, (_, i) => 1e-8 * 10 ** i);
const reconcileBuckets = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60,
];

/**
 * The operator's Prometheus metrics under controller-runtime's and client-go's names, on a registry of its
 * own (not prom-client's global one) so several managers can live in one process, e.g. in tests.
 */
export class Metrics {
  readonly registry: Registry;
  private readonly inFlightProbes = new Map<string, () => InFlight>();

  private readonly reconcileTotal: Counter<'controller' | 'result'>;
  private readonly reconcileErrors: Counter<'controller'>;
  private readonly reconcileTime: Histogram<'controller'>;
  private readonly maxConcurrent: Gauge<'controller'>;
  private readonly active: Gauge<'controller'>;
  private readonly queueDepth: Gauge<'controller' | 'name'>;
  private readonly queueAdds: Counter<'controller' | 'name'>;
  private readonly queueRetries: Counter<'controller' | 'name'>;
  private readonly queueDuration: Histogram<'controller' | 'name'>;
  private readonly workDuration: Histogram<'controller' | 'name'>;
  private readonly leaderStatus: Gauge<'name'>;

  constructor(options: { registry?: Registry; processMetrics?: boolean } = {}) {
    this.registry = options.registry ?? new Registry();
    const registers = [this.registry];
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });

    this.reconcileTotal = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    });
    this.reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: reconcileBuckets,
      registers,
    });
    this.maxConcurrent = new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller',
      labelNames: ['controller'],
      registers,
    });
    this.active = new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'],
      registers,
    });
    const queueLabels = ['controller', 'name'] as const;
    this.queueDepth = new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue',
      labelNames: queueLabels,
      registers,
    });
    this.queueAdds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames: queueLabels,
      registers,
    });
    this.queueRetries = new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames: queueLabels,
      registers,
    });
    this.queueDuration = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: queueLabels,
      buckets: queueBuckets,
      registers,
    });
    this.workDuration = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes',
      labelNames: queueLabels,
      buckets: queueBuckets,
      registers,
    });
    const probes = this.inFlightProbes;
    new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running',
      labelNames: queueLabels,
      registers,
      collect() {
        for (const [name, probe] of probes)
          this.set({ controller: name, name }, probe().longestRunningSeconds);
      },
    });
    new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help:
        'How many seconds of work has been done that is in progress and has not been observed by ' +
        'work_duration. Large values indicate stuck threads.',
      labelNames: queueLabels,
      registers,
      collect() {
        for (const [name, probe] of probes) this.set({ controller: name, name }, probe().unfinishedSeconds);
      },
    });
    this.leaderStatus = new Gauge({
      name: 'leader_election_master_status',
      help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master.',
      labelNames: ['name'],
      registers,
    });
  }

  queue(name: string): QueueMetrics {
    const labels = { controller: name, name };
    this.queueDepth.set(labels, 0);
    this.queueAdds.inc(labels, 0);
    this.queueRetries.inc(labels, 0);
    return {
      depth: (n) => this.queueDepth.set(labels, n),
      added: () => this.queueAdds.inc(labels),
      retried: () => this.queueRetries.inc(labels),
      started: (s) => this.queueDuration.observe(labels, s),
      finished: (s) => this.workDuration.observe(labels, s),
      observeInFlight: (probe) => this.inFlightProbes.set(name, probe),
    };
  }

  controller(name: string): ControllerMetrics {
    const labels = { controller: name };
    for (const result of reconcileResults) this.reconcileTotal.inc({ controller: name, result }, 0);
    this.reconcileErrors.inc(labels, 0);
    this.active.set(labels, 0);
    return {
      maxConcurrentReconciles: (n) => this.maxConcurrent.set(labels, n),
      activeWorkers: (delta) => this.active.inc(labels, delta),
      reconciled: (result, seconds) => {
        this.reconcileTotal.inc({ controller: name, result });
        if (result === 'error') this.reconcileErrors.inc(labels);
        this.reconcileTime.observe(labels, seconds);
      },
    };
  }

  leader(name: string, leading: boolean): void {
    this.leaderStatus.set({ name }, leading ? 1 : 0);
  }
}
