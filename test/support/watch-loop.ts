// A minimal reflector on client-node's Watch: list, then watch from the list's resourceVersion; a clean close
// re-watches from the last seen version, an error or an expired version (410) relists and reports objects that
// vanished meanwhile as DELETED. client-node's informer is not used because in 1.4 it stops for good on most
// errors, and the stand-in must outlive an API server restart.
import { setTimeout as sleep } from 'node:timers/promises';
import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchLoopOptions<T extends KubernetesObject> {
  /** Collection path, e.g. /apis/velero.io/v1/namespaces/velero/backups. */
  path: string;
  list: () => Promise<{ metadata?: { resourceVersion?: string }; items: T[] }>;
  onEvent: (type: WatchEventType, object: T) => void;
  onError: (err: unknown) => void;
}

const RETRY_MS = 500;

export class WatchLoop<T extends KubernetesObject> {
  private readonly known = new Map<string, T>();
  private abort?: AbortController;
  private stopped = false;
  private resourceVersion?: string;
  private loop?: Promise<void>;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly options: WatchLoopOptions<T>,
  ) {}

  /** Resolves once the first list has been delivered. */
  async start(): Promise<void> {
    await this.relist();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    await this.loop;
  }

  private async relist(): Promise<void> {
    const list = await this.options.list();
    const seen = new Set<string>();
    for (const item of list.items) {
      const name = item.metadata?.name ?? '';
      seen.add(name);
      this.deliver(this.known.has(name) ? 'MODIFIED' : 'ADDED', item);
    }
    for (const [name, item] of this.known) if (!seen.has(name)) this.deliver('DELETED', item);
    this.resourceVersion = list.metadata?.resourceVersion;
  }

  private deliver(type: WatchEventType, object: T): void {
    const name = object.metadata?.name ?? '';
    if (type === 'DELETED') this.known.delete(name);
    else this.known.set(name, object);
    this.options.onEvent(type, object);
  }

  private async run(): Promise<void> {
    let needsList = false;
    while (!this.stopped) {
      try {
        if (needsList) await this.relist();
        needsList = await this.watchOnce();
      } catch (err) {
        if (this.stopped) return;
        this.options.onError(err);
        needsList = true;
      }
      if (needsList && !this.stopped) await sleep(RETRY_MS);
    }
  }

  /** Watches until the stream ends; returns whether a relist is needed. */
  private watchOnce(): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      let expired = false;
      const onEvent = (type: string, object: T) => {
        if (type === 'BOOKMARK') {
          this.resourceVersion = object.metadata?.resourceVersion;
        } else if (type === 'ERROR') {
          expired = true;
          this.abort?.abort();
        } else {
          this.resourceVersion = object.metadata?.resourceVersion;
          this.deliver(type as WatchEventType, object);
        }
      };
      const params = {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: 240,
      };
      new Watch(this.kubeConfig)
        .watch(this.options.path, params, onEvent, (err: unknown) => {
          if (this.stopped) resolve(false);
          else if (err && !expired) reject(err instanceof Error ? err : new Error(JSON.stringify(err)));
          else resolve(expired);
        })
        .then((abort) => {
          this.abort = abort;
          if (this.stopped) abort.abort();
        }, reject);
    });
  }
}
