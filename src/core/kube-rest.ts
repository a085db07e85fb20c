import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { connectionFor } from './kube-transport.ts';

/*
 * The core's few plain requests (list, Lease, Event) go through this rather than client-node's typed APIs:
 * those turn timestamps into Date objects for some types and not others (a list gives Dates, the watch stream
 * gives strings, MicroTime comes back as a string typed as Date), and they have no per-request timeout short
 * of an untyped middleware. Authentication and TLS still come from client-node's KubeConfig.
 */

export class KubeApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof KubeApiError && err.statusCode === 404;
export const isConflict = (err: unknown): boolean => err instanceof KubeApiError && err.statusCode === 409;

/** Where a resource lives on the API server. */
export interface ResourceRef {
  /** `v1` for the core group, otherwise `group/version`. */
  apiVersion: string;
  /** The lower-case plural in the URL, e.g. `configmaps`. */
  plural: string;
  /** Omit for cluster-scoped resources or to address all namespaces. */
  namespace?: string;
}

export function resourcePath(ref: ResourceRef, name?: string): string {
  const root = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  const ns = ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  const tail = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  return `${root}${ns}/${ref.plural}${tail}`;
}

/** metav1.MicroTime's format: RFC 3339 with microseconds. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/Z$/, '000Z');
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** Whole-request deadline; default 30 s. */
  timeoutMs?: number;
}

/** JSON requests to the API server of a kubeconfig's current context. */
export class KubeRest {
  constructor(readonly kubeConfig: KubeConfig) {}

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const url = new URL(cluster.server.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(options.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (payload !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const connection = await connectionFor(this.kubeConfig);
    const requestOptions: https.RequestOptions = {
      method,
      headers: { ...connection.headers, ...headers },
      agent: connection.agent,
    };
    const transport = url.protocol === 'http:' ? http : https;
    const timeoutMs = options.timeoutMs ?? 30_000;

    return new Promise<T>((resolve, reject) => {
      const req = transport.request(url, requestOptions, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            try {
              resolve((text ? JSON.parse(text) : undefined) as T);
            } catch {
              reject(new Error(`${method} ${url.pathname}: response is not JSON`));
            }
            return;
          }
          reject(apiError(method, url.pathname, status, text));
        });
      });
      const timer = setTimeout(
        () => req.destroy(new Error(`${method} ${url.pathname} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(payload);
    });
  }
}

/** Builds an error from a metav1.Status body if there is one; the body is otherwise not kept. */
function apiError(method: string, path: string, status: number, text: string): KubeApiError {
  let reason: string | undefined;
  let message = `${method} ${path}: HTTP ${status}`;
  try {
    const s = JSON.parse(text) as { kind?: unknown; reason?: unknown; message?: unknown };
    if (s.kind === 'Status') {
      if (typeof s.reason === 'string') reason = s.reason;
      if (typeof s.message === 'string') message = `${message}: ${s.message}`;
    }
  } catch {
    // Not a Status: the status code says enough.
  }
  return new KubeApiError(status, reason, message);
}
