import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { KubeRest, resourcePath, type ResourceRef } from './kube-rest.ts';
import type { KubeObject } from './object-key.ts';

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
}

export interface WatchQuery {
  resourceVersion: string;
  timeoutSeconds: number;
}

/** A running watch; `abort` ends it without a further `onDone`. */
export interface WatchHandle {
  abort(): void;
}

/** List and watch of one resource; the informer's only way to reach the API server. */
export interface ListWatchSource {
  list(): Promise<ListResult>;
  /**
   * Starts a watch. `onEvent` gets each event (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR); `onDone` is called
   * once when the stream ends, with an error unless the server closed it normally.
   */
  watch(
    query: WatchQuery,
    onEvent: (type: string, object: unknown) => void,
    onDone: (err: unknown) => void,
  ): Promise<WatchHandle>;
}

export interface Selectors {
  labelSelector?: string;
  fieldSelector?: string;
}

const pageSize = 500;

/** List through the API (paged) and watch through client-node's Watch. */
export function kubeListWatch(
  kubeConfig: KubeConfig,
  resource: ResourceRef,
  selectors: Selectors = {},
): ListWatchSource {
  const rest = new KubeRest(kubeConfig);
  const watch = new Watch(kubeConfig);
  const path = resourcePath(resource);
  const { labelSelector, fieldSelector } = selectors;
  return {
    async list() {
      const items: KubeObject[] = [];
      let resourceVersion = '';
      let continueToken: string | undefined;
      do {
        const page = await rest.request<RawList>('GET', path, {
          query: { labelSelector, fieldSelector, limit: pageSize, continue: continueToken },
        });
        const kind = page.kind?.replace(/List$/, '');
        // List items carry no apiVersion/kind; watch events do. Fill them in so cached objects look alike.
        for (const item of page.items ?? []) items.push({ apiVersion: page.apiVersion, kind, ...item });
        // All pages of one list are one snapshot; the first page's resourceVersion is the snapshot's.
        resourceVersion ||= page.metadata?.resourceVersion ?? '';
        continueToken = page.metadata?.continue || undefined;
      } while (continueToken);
      return { items, resourceVersion };
    },
    async watch(query, onEvent, onDone) {
      // client-node reports its own abort as an error through `done`; a caller that aborted is not told.
      let aborted = false;
      const controller = await watch.watch(
        path,
        { labelSelector, fieldSelector, ...query, allowWatchBookmarks: true },
        (type: string, object: unknown) => {
          if (!aborted) onEvent(type, object);
        },
        (err: unknown) => {
          if (!aborted) onDone(err);
        },
      );
      return {
        abort: () => {
          aborted = true;
          controller.abort();
        },
      };
    },
  };
}

interface RawList {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubeObject[];
}
