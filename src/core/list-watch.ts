import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { KubeRest, resourcePath, type ResourceRef } from './kube-rest.ts';
import type { KubeObject } from './object-key.ts';

/** One page of a list; all pages of one list share the snapshot's resourceVersion (the first page's). */
export interface ListPage {
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
  /** The pages of a consistent list, in order; taken one at a time so a large list is never held whole. */
  list(): AsyncIterable<ListPage>;
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
    async *list() {
      let resourceVersion = '';
      let continueToken: string | undefined;
      do {
        const page = await rest.request<RawList>('GET', path, {
          query: { labelSelector, fieldSelector, limit: pageSize, continue: continueToken },
        });
        const kind = page.kind?.replace(/List$/, '');
        // List items carry no apiVersion/kind; watch events do. Fill them in so cached objects look alike.
        const items = (page.items ?? []).map((item) => ({ apiVersion: page.apiVersion, kind, ...item }));
        // All pages of one list are one snapshot; the first page's resourceVersion is the snapshot's.
        resourceVersion ||= page.metadata?.resourceVersion ?? '';
        continueToken = page.metadata?.continue || undefined;
        yield { items, resourceVersion };
      } while (continueToken);
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
