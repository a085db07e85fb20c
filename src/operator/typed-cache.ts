import type { Informer, KubeObject } from '../core/index.ts';

/**
 * A read-only, typed view of an informer's cache. The core keeps objects as the API server sent them (plain
 * JSON); the API types describe the same JSON, so the view only names the type.
 */
export class TypedCache<T> {
  constructor(readonly informer: Informer<KubeObject>) {}

  get(key: string): T | undefined {
    return this.informer.get(key) as T | undefined;
  }

  list(namespace?: string): T[] {
    return this.informer.list(namespace) as T[];
  }
}
