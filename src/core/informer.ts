import type { KubeConfig } from '@kubernetes/client-node';
import { realClock, yieldToEventLoop, type Clock, type TimerHandle } from './clock.ts';
import { KubeApiError, type ResourceRef } from './kube-rest.ts';
import { kubeListWatch, type ListWatchSource, type WatchHandle } from './list-watch.ts';
import { errorFields, silentLogger, type Logger } from './logger.ts';
import { objectKey, withoutServerBookkeeping, type KubeObject } from './object-key.ts';

/** Receives cache changes. Handlers should only enqueue keys: they run inline with the watch stream. */
export interface InformerHandler<T> {
  add?(obj: T): void;
  /** Also called with the same object twice on each resync. */
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T): void;
}

export interface InformerOptions<T extends KubeObject> {
  resource: ResourceRef;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Applied to every object before it is cached or handed to handlers, e.g. `metadataOnly` to keep a small
   * copy. The result must keep metadata.name, namespace and resourceVersion. managedFields and kubectl's
   * last-applied-configuration are dropped before it in any case: no reconcile reads them.
   */
  transform?: (obj: KubeObject) => T;
  /**
   * Secondary indexes: for each name, the values an object is filed under (e.g. its owner's key), so that
   * `byIndex` finds related objects without a scan of the cache. Objects are always indexed by namespace.
   */
  indexers?: Record<string, (obj: T) => readonly string[]>;
  /** Every this often each handler gets update(obj, obj) for every cached object. Default 10 h; 0: never. */
  resyncPeriodMs?: number;
  /**
   * Server-side timeout of each watch. A watch still open well after it is replaced, so a silently dead
   * connection cannot stall the informer. Default: random between 5 and 10 minutes, as client-go does.
   */
  watchTimeoutSeconds?: number;
  /** An optional informer (e.g. for a CRD that may be absent) gates neither workers nor readiness. */
  optional?: boolean;
  /** For logs; defaults to the resource and scope. */
  name?: string;
  logger?: Logger;
  clock?: Clock;
  /** Where to list and watch; one of the two is required. `source` replaces the API server in unit tests. */
  kubeConfig?: KubeConfig;
  source?: ListWatchSource;
}

const backoffInitialMs = 800;
const backoffMaxMs = 30_000;
/** How long past its timeout a watch may stay open before it is presumed dead: this, or the timeout if shorter. */
const watchdogGraceMs = 30_000;
/** A watch the server closes sooner than this without any event counts as a failure (no hot loop). */
const minHealthyWatchMs = 1_000;
const defaultResyncMs = 10 * 60 * 60 * 1000;
/** A relist hands this many objects to the cache and handlers between yields of the event loop. */
const replaceBatch = 200;
const namespaceIndex = '\0namespace';

/**
 * Lists and watches one resource into a cache and tells handlers about changes. Unlike client-node's
 * ListWatch it supervises itself: list or watch errors restart it with backoff (it never gives up), expired
 * resource versions relist, watches carry a server timeout and bookmarks, and a watch that outlives its
 * timeout is replaced. A stopped informer stays stopped; make a new one instead.
 */
export class Informer<T extends KubeObject = KubeObject> {
  readonly name: string;
  readonly optional: boolean;

  private readonly source: ListWatchSource;
  private readonly transform: (obj: KubeObject) => T;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly resyncPeriodMs: number;
  private readonly watchTimeoutSeconds: number | undefined;

  private readonly store = new Map<string, T>();
  /** Typed loosely so that an Informer<T> still is an Informer<KubeObject>; only ever called with a T. */
  private readonly indexers: [string, (obj: KubeObject) => readonly string[]][];
  /** index name -> index value -> keys of the objects filed under it */
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private readonly handlers = new Set<InformerHandler<T>>();
  private resourceVersion = '';
  private synced = false;
  private syncWaiters: ((synced: boolean) => void)[] = [];
  private state: 'new' | 'running' | 'stopped' = 'new';
  /** Bumped on every restart; callbacks of an older list or watch are ignored. */
  private generation = 0;
  private watchHandle: WatchHandle | undefined;
  private watchdog: TimerHandle | undefined;
  private restartTimer: TimerHandle | undefined;
  private resyncTimer: TimerHandle | undefined;
  private failures = 0;
  private lastFailure: unknown;

  constructor(options: InformerOptions<T>) {
    const { resource } = options;
    const scope = resource.namespace ? ` in ${resource.namespace}` : '';
    const selector = options.labelSelector ? ` (${options.labelSelector})` : '';
    this.name = options.name ?? `${resource.plural}.${resource.apiVersion}${scope}${selector}`;
    this.optional = options.optional ?? false;
    if (options.source) this.source = options.source;
    else if (options.kubeConfig) {
      const { labelSelector, fieldSelector } = options;
      this.source = kubeListWatch(options.kubeConfig, resource, { labelSelector, fieldSelector });
    } else throw new Error(`informer ${this.name}: kubeConfig or source is required`);
    const transform = options.transform ?? ((obj) => obj as T);
    this.transform = (obj) => transform(withoutServerBookkeeping(obj));
    this.indexers = [
      [namespaceIndex, (obj) => [obj.metadata?.namespace ?? '']],
      ...Object.entries((options.indexers ?? {}) as Record<string, (obj: KubeObject) => readonly string[]>),
    ];
    for (const [name] of this.indexers) this.indexes.set(name, new Map());
    this.clock = options.clock ?? realClock;
    this.log = (options.logger ?? silentLogger()).child({ informer: this.name });
    this.resyncPeriodMs = options.resyncPeriodMs ?? defaultResyncMs;
    this.watchTimeoutSeconds = options.watchTimeoutSeconds;
  }

  start(): void {
    if (this.state === 'stopped') throw new Error(`informer ${this.name} was stopped; create a new one`);
    if (this.state === 'running') return;
    this.state = 'running';
    this.log.info('informer starting');
    void this.run(this.generation, true);
    this.armResync();
  }

  stop(): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.generation++;
    this.watchHandle?.abort();
    this.watchHandle = undefined;
    for (const t of [this.watchdog, this.restartTimer, this.resyncTimer]) if (t) this.clock.clearTimeout(t);
    this.resolveSyncWaiters(false);
    this.log.info('informer stopped');
  }

  /** True once the first complete list is in the cache and was handed to the handlers. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once synced, false if the informer stops or `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.state === 'stopped' || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.syncWaiters = this.syncWaiters.filter((w) => w !== waiter);
        resolve(false);
      };
      const waiter = (synced: boolean): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(synced);
      };
      this.syncWaiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The last list or watch failure since the last success, e.g. a 404 when the resource's CRD is absent. */
  lastError(): unknown {
    return this.lastFailure;
  }

  /** Registers a handler and replays the current cache to it as adds. Returns the unregister function. */
  addHandler(handler: InformerHandler<T>): () => void {
    this.handlers.add(handler);
    for (const obj of this.store.values()) this.call('add', () => handler.add?.(obj));
    return () => this.handlers.delete(handler);
  }

  /** Cached object by `namespace/name` (or `name`). Shared with the cache: do not mutate. */
  get(key: string): T | undefined {
    return this.store.get(key);
  }

  /** Cached objects, optionally of one namespace. Shared with the cache: do not mutate. */
  list(namespace?: string): T[] {
    return namespace === undefined ? [...this.store.values()] : this.byIndex(namespaceIndex, namespace);
  }

  /** Cached objects filed under `value` by the indexer `name`. Shared with the cache: do not mutate. */
  byIndex(name: string, value: string): T[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`informer ${this.name}: no index ${name}`);
    const keys = index.get(value);
    if (!keys) return [];
    const objects: T[] = [];
    for (const key of keys) {
      const obj = this.store.get(key);
      if (obj) objects.push(obj);
    }
    return objects;
  }

  keys(): string[] {
    return [...this.store.keys()];
  }

  private async run(gen: number, relist: boolean): Promise<void> {
    if (relist || !this.resourceVersion) {
      // Objects are transformed page by page, so the whole list is never held in its full form.
      const fresh = new Map<string, T>();
      let resourceVersion = '';
      try {
        for await (const page of this.source.list()) {
          if (gen !== this.generation) return;
          for (const raw of page.items) fresh.set(objectKey(raw), this.transform(raw));
          resourceVersion ||= page.resourceVersion;
        }
      } catch (err) {
        if (gen === this.generation) this.fail('list failed', err, true);
        return;
      }
      if (gen !== this.generation) return;
      if (!(await this.replace(gen, fresh, resourceVersion))) return;
    }

    const timeoutSeconds = this.watchTimeoutSeconds ?? Math.floor(300 * (1 + Math.random()));
    this.watchdog = this.clock.setTimeout(
      () => {
        if (gen !== this.generation) return;
        this.fail('watch outlived its timeout, connection presumed dead', undefined, false);
      },
      timeoutSeconds * 1000 + Math.min(watchdogGraceMs, timeoutSeconds * 1000),
    );

    const started = this.clock.now();
    let events = 0;
    try {
      const handle = await this.source.watch(
        { resourceVersion: this.resourceVersion, timeoutSeconds },
        (type, object) => {
          if (gen !== this.generation) return;
          events++;
          this.onEvent(type, object);
        },
        (err) => {
          if (gen === this.generation) this.onWatchEnd(err, started, events);
        },
      );
      if (gen !== this.generation) handle.abort();
      else this.watchHandle = handle;
    } catch (err) {
      if (gen === this.generation) this.fail('watch failed', err, false);
    }
  }

  private onEvent(type: string, raw: unknown): void {
    try {
      if (type === 'ERROR') {
        const status = raw as { code?: number; reason?: string; message?: string };
        if (status.code === 410) {
          this.log.debug('resource version expired; relisting');
          this.restart(true, 0);
          return;
        }
        const err = new KubeApiError(status.code ?? 0, status.reason, status.message ?? 'watch error event');
        this.fail('watch reported an error', err, false);
        return;
      }
      const obj = raw as KubeObject;
      const rv = obj.metadata?.resourceVersion;
      this.failures = 0;
      this.lastFailure = undefined;
      if (type === 'ADDED' || type === 'MODIFIED') this.upsert(objectKey(obj), this.transform(obj));
      else if (type === 'DELETED') this.remove(objectKey(obj), this.transform(obj));
      if (rv) this.resourceVersion = rv;
    } catch (err) {
      this.log.error('failed to process watch event', { type, ...errorFields(err) });
    }
  }

  private onWatchEnd(err: unknown, started: number, events: number): void {
    if (err) {
      if (statusCode(err) === 410) this.restart(true, 0);
      else this.fail('watch ended with an error', err, false);
      return;
    }
    if (events > 0 || this.clock.now() - started >= minHealthyWatchMs) {
      this.log.debug('watch closed by the server; watching again');
      this.restart(false, 0);
    } else {
      this.fail('watch closed immediately', undefined, false);
    }
  }

  private fail(what: string, err: unknown, relist: boolean): void {
    this.lastFailure = err ?? new Error(what);
    const cap = Math.min(backoffMaxMs, backoffInitialMs * 2 ** this.failures);
    const delay = cap / 2 + (Math.random() * cap) / 2;
    this.failures++;
    this.log.warn(`${what}; retrying`, {
      attempt: this.failures,
      retryInMs: Math.round(delay),
      ...(err === undefined ? {} : errorFields(err)),
    });
    this.restart(relist, delay);
  }

  /** Drops the current list/watch and starts over after `delayMs`, relisting if asked or if it must. */
  private restart(relist: boolean, delayMs: number): void {
    if (this.state !== 'running') return;
    const gen = ++this.generation;
    this.watchHandle?.abort();
    this.watchHandle = undefined;
    if (this.watchdog) this.clock.clearTimeout(this.watchdog);
    if (this.restartTimer) this.clock.clearTimeout(this.restartTimer);
    this.watchdog = undefined;
    this.restartTimer = undefined;
    if (delayMs <= 0) {
      void this.run(gen, relist);
      return;
    }
    this.restartTimer = this.clock.setTimeout(() => {
      this.restartTimer = undefined;
      void this.run(gen, relist);
    }, delayMs);
  }

  /**
   * Makes the cache equal a fresh list, telling handlers what differs. Yields the event loop between
   * batches so that probes and other work go on during a large relist; false if a restart overtook it.
   */
  private async replace(gen: number, fresh: Map<string, T>, resourceVersion: string): Promise<boolean> {
    let done = 0;
    const pace = async (): Promise<boolean> => {
      if (++done % replaceBatch !== 0) return true;
      await yieldToEventLoop();
      return gen === this.generation;
    };
    for (const [key, obj] of [...this.store]) {
      if (!fresh.has(key)) this.remove(key, obj);
      if (!(await pace())) return false;
    }
    for (const [key, obj] of fresh) {
      this.upsert(key, obj);
      if (!(await pace())) return false;
    }
    this.resourceVersion = resourceVersion;
    this.failures = 0;
    this.lastFailure = undefined;
    if (!this.synced) {
      this.synced = true;
      this.log.info('informer synced', { objects: this.store.size });
      this.resolveSyncWaiters(true);
    }
    return true;
  }

  private upsert(key: string, obj: T): void {
    const old = this.store.get(key);
    this.store.set(key, obj);
    this.reindex(key, old, obj);
    if (!old) {
      this.emit('add', (h) => h.add?.(obj));
    } else if (!sameVersion(old, obj)) {
      this.emit('update', (h) => h.update?.(old, obj));
    }
  }

  private remove(key: string, last: T): void {
    const cached = this.store.get(key);
    if (!cached) return;
    this.store.delete(key);
    this.reindex(key, cached, undefined);
    this.emit('delete', (h) => h.delete?.(last));
  }

  private reindex(key: string, old: T | undefined, obj: T | undefined): void {
    for (const [name, values] of this.indexers) {
      const index = this.indexes.get(name);
      if (!index) continue;
      const before = old ? values(old) : [];
      const after = obj ? values(obj) : [];
      for (const value of before) {
        if (after.includes(value)) continue;
        const keys = index.get(value);
        keys?.delete(key);
        // Empty sets go, so that the index is bounded by the objects cached, not by all ever seen.
        if (keys?.size === 0) index.delete(value);
      }
      for (const value of after) {
        let keys = index.get(value);
        if (!keys) index.set(value, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  private armResync(): void {
    if (this.resyncPeriodMs <= 0) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      if (this.synced) {
        this.log.debug('resync', { objects: this.store.size });
        for (const obj of this.store.values()) this.emit('update', (h) => h.update?.(obj, obj));
      }
      this.armResync();
    }, this.resyncPeriodMs);
  }

  private emit(what: string, fn: (h: InformerHandler<T>) => void): void {
    for (const handler of this.handlers) this.call(what, () => fn(handler));
  }

  private call(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error('event handler failed', { event: what, ...errorFields(err) });
    }
  }

  private resolveSyncWaiters(synced: boolean): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiters) w(synced);
  }
}

function sameVersion(a: KubeObject, b: KubeObject): boolean {
  const rv = a.metadata?.resourceVersion;
  return rv !== undefined && rv === b.metadata?.resourceVersion;
}

function statusCode(err: unknown): number | undefined {
  const e = err as { statusCode?: unknown; code?: unknown } | null;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return typeof e?.code === 'number' ? e.code : undefined;
}
