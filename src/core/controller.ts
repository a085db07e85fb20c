import { realClock, yieldToEventLoop, type Clock } from './clock.ts';
import type { Informer } from './informer.ts';
import { errorFields, silentLogger, type Logger } from './logger.ts';
import type { ControllerMetrics, Metrics, ReconcileResult } from './metrics.ts';
import { noopControllerMetrics, noopQueueMetrics } from './metrics.ts';
import { objectKey, type KubeObject } from './object-key.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { WorkQueue } from './work-queue.ts';

/** What a reconcile asks for besides success: come back after this long (e.g. at a deadline). */
export interface ReconcileOutcome {
  requeueAfterMs?: number;
}

/**
 * Brings the world in line with the object named by `key` (`namespace/name`). Called with one key at a time
 * per key; throwing retries the key with per-key exponential backoff.
 */
export interface Reconciler {
  reconcile(key: string): Promise<ReconcileOutcome | void>;
}

/** The part of an informer that gates the workers. */
type SyncSource = Pick<Informer, 'name' | 'optional' | 'waitForSync'>;

/** Maps a watched object to the keys of the primary objects to reconcile; nothing to skip it. */
export type MapFunc<T> = (obj: T) => string | readonly string[] | undefined;

export interface WatchOptions<T> {
  /**
   * Whether an update matters to the reconciles at all (e.g. a status field they read changed); updates it
   * rejects enqueue nothing. Periodic resyncs always enqueue. Default: every update matters.
   */
  updateMatters?: (oldObj: T, newObj: T) => boolean;
}

export interface ControllerOptions {
  name: string;
  reconciler: Reconciler;
  /** Concurrent workers; default 1. */
  concurrency?: number;
  logger?: Logger;
  metrics?: Metrics;
  clock?: Clock;
  rateLimiter?: RateLimiter;
}

/**
 * Runs a reconciler over a work queue fed by informers. `watch` registers what feeds the queue; `start`
 * subscribes, waits until every non-optional informer has synced and then starts the workers; `stop` stops
 * handing out keys and waits for reconciles in flight. One start and one stop per controller.
 */
export class Controller {
  readonly name: string;
  private readonly reconciler: Reconciler;
  private readonly concurrency: number;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly metrics: ControllerMetrics;
  private readonly queue: WorkQueue;
  private readonly watches: { informer: SyncSource; subscribe: () => () => void }[] = [];
  private readonly unsubscribes: (() => void)[] = [];
  private readonly stopSignal = new AbortController();
  private workers: Promise<void>[] = [];
  private state: 'new' | 'started' | 'stopped' = 'new';

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.reconciler = options.reconciler;
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.log = (options.logger ?? silentLogger()).child({ controller: options.name });
    this.clock = options.clock ?? realClock;
    this.metrics = options.metrics?.controller(options.name) ?? noopControllerMetrics;
    this.queue = new WorkQueue({
      clock: this.clock,
      rateLimiter: options.rateLimiter,
      metrics: options.metrics?.queue(options.name) ?? noopQueueMetrics,
    });
  }

  /**
   * Reconciles the keys `map` gives for each added, updated (old and new object) or deleted object of
   * `informer`; without `map`, the object's own key. Call before `start`.
   */
  watch<T extends KubeObject>(
    informer: Informer<T>,
    map: MapFunc<T> = objectKey,
    options: WatchOptions<T> = {},
  ): this {
    if (this.state !== 'new') throw new Error(`controller ${this.name}: watch() after start()`);
    const enqueue = (obj: T): void => {
      const keys = map(obj);
      for (const key of typeof keys === 'string' ? [keys] : (keys ?? [])) {
        if (key) this.queue.add(key);
      }
    };
    const subscribe = (): (() => void) =>
      informer.addHandler({
        add: enqueue,
        update: (oldObj, newObj) => {
          if (newObj !== oldObj && options.updateMatters && !options.updateMatters(oldObj, newObj)) return;
          enqueue(oldObj);
          if (newObj !== oldObj) enqueue(newObj);
        },
        delete: enqueue,
      });
    this.watches.push({ informer, subscribe });
    return this;
  }

  /** Resolves once the workers run, or once stopped if that comes first. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`controller ${this.name} cannot start twice`);
    this.state = 'started';
    for (const w of this.watches) this.unsubscribes.push(w.subscribe());
    const required = [...new Set(this.watches.map((w) => w.informer))].filter((i) => !i.optional);
    this.log.info('waiting for informers to sync', { informers: required.map((i) => i.name) });
    const synced = await Promise.all(required.map((i) => i.waitForSync(this.stopSignal.signal)));
    if (!synced.every(Boolean) || this.stopSignal.signal.aborted) return;
    this.log.info('starting workers', { workers: this.concurrency });
    this.metrics.maxConcurrentReconciles(this.concurrency);
    this.workers = Array.from({ length: this.concurrency }, () => this.work());
  }

  /** Stops taking keys and resolves when the reconciles in flight have finished. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.stopSignal.abort();
    for (const unsubscribe of this.unsubscribes) unsubscribe();
    this.queue.shutDown();
    const inFlight = this.queue.inProcess();
    if (inFlight > 0) this.log.info('waiting for reconciles in flight', { reconciles: inFlight });
    await this.queue.drain();
    await Promise.all(this.workers);
    this.log.info('controller stopped');
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      await this.reconcileOne(key);
      // A reconcile that finds nothing to write completes without I/O; a queue of thousands of them would
      // otherwise hold the event loop (probes, watches) for as long as they all take.
      await yieldToEventLoop();
    }
  }

  private async reconcileOne(key: string): Promise<void> {
    const started = this.clock.now();
    let result: ReconcileResult = 'success';
    this.metrics.activeWorkers(1);
    try {
      const outcome = await this.reconciler.reconcile(key);
      this.queue.forget(key);
      const after = outcome?.requeueAfterMs;
      if (after !== undefined && after > 0) {
        result = 'requeue_after';
        this.queue.addAfter(key, after);
      }
      this.log.debug('reconciled', { key, ...(result === 'requeue_after' ? { requeueAfterMs: after } : {}) });
    } catch (err) {
      result = 'error';
      this.queue.addRateLimited(key);
      this.log.error('reconcile failed; will retry', {
        key,
        retries: this.queue.numRequeues(key),
        ...errorFields(err),
      });
    } finally {
      this.metrics.activeWorkers(-1);
      this.metrics.reconciled(result, (this.clock.now() - started) / 1000);
      this.queue.done(key);
    }
  }
}

/**
 * Maps an object to the primary key held in two of its labels, for objects that cannot carry an owner
 * reference to their primary (e.g. they live in another namespace).
 */
export function keyFromLabels(namespaceLabel: string, nameLabel: string): MapFunc<KubeObject> {
  return (obj) => {
    const labels = obj.metadata?.labels ?? {};
    const namespace = labels[namespaceLabel];
    const name = labels[nameLabel];
    return namespace && name ? `${namespace}/${name}` : undefined;
  };
}
