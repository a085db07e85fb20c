import { realClock, type Clock } from './clock.ts';
import type { KubeObject } from './object-key.ts';

export interface RecentWritesOptions {
  /** How long a write is trusted over a cache that still shows what it replaced. Default 30 s. */
  maxAgeMs?: number;
  clock?: Clock;
}

interface Entry<T> {
  /** resourceVersions the write superseded ('' for "absent"): while the cache shows one, it lags behind. */
  superseded: Set<string>;
  object: T;
  at: number;
}

const absent = '';

/**
 * Read-your-writes for reconcilers that read informer caches. A reconcile that just wrote an object may run
 * again before the watch has brought the write into the cache; computed from the stale copy, it would write
 * the same change a second time. This remembers the server's answer to each write together with the
 * resourceVersion it replaced, and hands it out instead of the cached copy while the cache still shows that
 * version. As soon as the cache shows anything else (the write itself, or a later change by anyone), the
 * cache wins again and the entry goes. Entries also expire, so that a write whose object the cache never
 * sees (deleted at once) cannot pin a stale answer.
 */
export class RecentWrites<T extends KubeObject> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly maxAgeMs: number;
  private readonly clock: Clock;

  constructor(options: RecentWritesOptions = {}) {
    this.maxAgeMs = options.maxAgeMs ?? 30_000;
    this.clock = options.clock ?? realClock;
  }

  /** The freshest known state of `key`: the cached object, or the last write over a copy it superseded. */
  read(key: string, cached: T | undefined): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return cached;
    const version = cached ? (cached.metadata?.resourceVersion ?? absent) : absent;
    if (entry.superseded.has(version) && this.clock.now() - entry.at < this.maxAgeMs) return entry.object;
    this.entries.delete(key);
    return cached;
  }

  /** Records that `written` (the server's answer to a write) replaced `before` (undefined: a create). */
  wrote(key: string, before: T | undefined, written: T): void {
    const now = this.clock.now();
    this.sweep(now);
    const entry = this.entries.get(key);
    const superseded = entry?.superseded ?? new Set<string>();
    superseded.add(before ? (before.metadata?.resourceVersion ?? absent) : absent);
    // Deleted and set again so that the map's order stays the order of the writes (see sweep).
    this.entries.delete(key);
    this.entries.set(key, { superseded, object: written, at: now });
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  /** Entries not yet read back; for tests and metrics. */
  size(): number {
    return this.entries.size;
  }

  /** Drops expired entries of keys that were never read again (e.g. deleted objects). */
  private sweep(now: number): void {
    for (const [key, entry] of this.entries) {
      // Map order is write order: everything after the first fresh entry is fresh too.
      if (now - entry.at < this.maxAgeMs) break;
      this.entries.delete(key);
    }
  }
}
