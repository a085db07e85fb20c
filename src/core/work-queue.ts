import { realClock, type Clock, type TimerHandle } from './clock.ts';
import { noopQueueMetrics, type QueueMetrics } from './metrics.ts';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.ts';

export interface WorkQueueOptions {
  clock?: Clock;
  /** Default: 5 ms .. 1000 s per key, at most 10 qps / burst 100 overall. */
  rateLimiter?: RateLimiter;
  metrics?: QueueMetrics;
}

/**
 * A queue of keys with client-go workqueue semantics:
 * - a key is queued at most once, however often it is added;
 * - a key handed to a worker is not handed to another until `done`; adds meanwhile make it run once more after;
 * - delayed adds (`addAfter`, `addRateLimited`) keep the earliest due time per key;
 * - after `shutDown`, `get` hands out nothing more and `drain` waits for the keys being processed.
 */
export class WorkQueue {
  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter;
  private readonly metrics: QueueMetrics;

  private readonly queue: string[] = [];
  /** Keys that need processing: queued, or re-added while being processed. */
  private readonly dirty = new Set<string>();
  /** Keys handed out to a worker and not yet done, with when that happened. */
  private readonly processing = new Map<string, number>();
  /** When each queued key entered the queue, for the queue-duration metric. */
  private readonly queuedAt = new Map<string, number>();
  /** Delayed keys and when they fall due. */
  private readonly waiting = new Map<string, number>();
  private waitingTimer: { handle: TimerHandle; due: number } | undefined;

  private getters: ((key: string | undefined) => void)[] = [];
  private drainers: (() => void)[] = [];
  private stopping = false;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter(this.clock);
    this.metrics = options.metrics ?? noopQueueMetrics;
    this.metrics.observeInFlight(() => this.inFlight());
  }

  add(key: string): void {
    if (this.stopping || this.dirty.has(key)) return;
    this.metrics.added();
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.enqueue(key);
  }

  /** Adds `key` after `delayMs`; if it is already waiting, the earlier due time wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopping) return;
    if (delayMs <= 0) return this.add(key);
    const due = this.clock.now() + delayMs;
    const current = this.waiting.get(key);
    if (current !== undefined && current <= due) return;
    this.waiting.set(key, due);
    this.armWaitingTimer();
  }

  /** Adds `key` after its backoff: for retries after an error. */
  addRateLimited(key: string): void {
    if (this.stopping) return;
    this.metrics.retried();
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** Ends backoff tracking for `key` (after it was processed successfully). */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.rateLimiter.retries(key);
  }

  /** The next key to process, or undefined once the queue is shut down. Call `done(key)` afterwards. */
  get(): Promise<string | undefined> {
    if (this.stopping) return Promise.resolve(undefined);
    const key = this.dequeue();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  done(key: string): void {
    const started = this.processing.get(key);
    if (started === undefined) return;
    this.processing.delete(key);
    this.metrics.finished((this.clock.now() - started) / 1000);
    if (this.dirty.has(key) && !this.stopping) this.enqueue(key);
    if (this.processing.size === 0) {
      const drainers = this.drainers;
      this.drainers = [];
      for (const resolve of drainers) resolve();
    }
  }

  /** Number of keys ready to be handed out. */
  len(): number {
    return this.queue.length;
  }

  /** Keys being processed right now. */
  inProcess(): number {
    return this.processing.size;
  }

  isShuttingDown(): boolean {
    return this.stopping;
  }

  /** Stops handing out keys; queued and delayed keys are dropped (a new leader lists everything again). */
  shutDown(): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.waitingTimer) this.clock.clearTimeout(this.waitingTimer.handle);
    this.waitingTimer = undefined;
    this.waiting.clear();
    this.queue.length = 0;
    this.queuedAt.clear();
    this.dirty.clear();
    this.metrics.depth(0);
    const getters = this.getters;
    this.getters = [];
    for (const resolve of getters) resolve(undefined);
  }

  /** Resolves once no key is being processed. */
  drain(): Promise<void> {
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainers.push(resolve));
  }

  private enqueue(key: string): void {
    const getter = this.getters.shift();
    if (getter) {
      this.queuedAt.set(key, this.clock.now());
      this.handOut(key);
      getter(key);
      return;
    }
    this.queue.push(key);
    this.queuedAt.set(key, this.clock.now());
    this.metrics.depth(this.queue.length);
  }

  private dequeue(): string | undefined {
    const key = this.queue.shift();
    if (key === undefined) return undefined;
    this.metrics.depth(this.queue.length);
    this.handOut(key);
    return key;
  }

  private handOut(key: string): void {
    const now = this.clock.now();
    this.metrics.started((now - (this.queuedAt.get(key) ?? now)) / 1000);
    this.queuedAt.delete(key);
    this.dirty.delete(key);
    this.processing.set(key, now);
  }

  private armWaitingTimer(): void {
    let earliest = Infinity;
    for (const due of this.waiting.values()) earliest = Math.min(earliest, due);
    if (this.waitingTimer && this.waitingTimer.due <= earliest) return;
    if (this.waitingTimer) this.clock.clearTimeout(this.waitingTimer.handle);
    this.waitingTimer = undefined;
    if (earliest === Infinity) return;
    const handle = this.clock.setTimeout(() => this.releaseDue(), earliest - this.clock.now());
    this.waitingTimer = { handle, due: earliest };
  }

  private releaseDue(): void {
    this.waitingTimer = undefined;
    const now = this.clock.now();
    for (const [key, due] of this.waiting) {
      if (due > now) continue;
      this.waiting.delete(key);
      this.add(key);
    }
    this.armWaitingTimer();
  }

  private inFlight(): { longestRunningSeconds: number; unfinishedSeconds: number } {
    const now = this.clock.now();
    let longest = 0;
    let total = 0;
    for (const started of this.processing.values()) {
      longest = Math.max(longest, now - started);
      total += now - started;
    }
    return { longestRunningSeconds: longest / 1000, unfinishedSeconds: total / 1000 };
  }
}
