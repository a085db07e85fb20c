import type { ListPage, ListWatchSource, WatchHandle, WatchQuery } from './list-watch.ts';
import { objectKey, type KubeObject } from './object-key.ts';

interface FakeWatch {
  query: WatchQuery;
  onEvent: (type: string, object: unknown) => void;
  onDone: (err: unknown) => void;
  open: boolean;
}

/**
 * An in-memory resource for informers in unit tests: `apply` changes it and streams the change to the open
 * watch, `endWatch` closes the stream, `listError` makes lists fail. Objects get increasing resourceVersions.
 */
export class FakeListWatch implements ListWatchSource {
  /** While set, every list fails with it. */
  listError: Error | undefined;
  listCalls = 0;
  readonly watches: FakeWatch[] = [];
  private readonly objects = new Map<string, KubeObject>();
  private version = 0;

  constructor(initial: KubeObject[] = []) {
    for (const obj of initial) this.store(obj);
  }

  /** Lists in pages of `pageSize` objects (all of one snapshot). */
  pageSize = 500;

  async *list(): AsyncIterable<ListPage> {
    this.listCalls++;
    if (this.listError !== undefined) throw this.listError;
    const items = [...this.objects.values()].map(copy);
    const resourceVersion = String(this.version);
    for (let i = 0; i === 0 || i < items.length; i += this.pageSize) {
      await Promise.resolve();
      yield { items: items.slice(i, i + this.pageSize), resourceVersion };
    }
  }

  watch(
    query: WatchQuery,
    onEvent: (type: string, object: unknown) => void,
    onDone: (err: unknown) => void,
  ): Promise<WatchHandle> {
    const w: FakeWatch = { query, onEvent, onDone, open: true };
    this.watches.push(w);
    return Promise.resolve({ abort: () => (w.open = false) });
  }

  /** The watch an informer currently listens on, if any. */
  openWatch(): FakeWatch | undefined {
    return this.watches.filter((w) => w.open).at(-1);
  }

  /** Changes the resource and tells the open watch; returns the stored object. */
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): KubeObject {
    let stored: KubeObject;
    if (type === 'DELETED') {
      stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.version) } };
      this.objects.delete(objectKey(obj));
    } else {
      stored = this.store(obj);
    }
    this.openWatch()?.onEvent(type, copy(stored));
    return stored;
  }

  /** Sends a raw event (BOOKMARK, ERROR) to the open watch. */
  send(type: string, object: unknown): void {
    this.openWatch()?.onEvent(type, object);
  }

  /** Ends the open watch as the server would: normally, or with `err`. */
  endWatch(err: unknown = null): void {
    const w = this.openWatch();
    if (!w) return;
    w.open = false;
    w.onDone(err);
  }

  /** Changes the resource without telling any watch, as if events were missed. */
  applySilently(obj: KubeObject | { delete: string }): void {
    if ('delete' in obj) {
      this.objects.delete(obj.delete);
      this.version++;
    } else {
      this.store(obj);
    }
  }

  private store(obj: KubeObject): KubeObject {
    const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.version) } };
    this.objects.set(objectKey(stored), stored);
    return stored;
  }
}

function copy<T>(obj: T): T {
  return structuredClone(obj);
}
