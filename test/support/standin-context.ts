// What the Velero stand-in's controllers share: the API, the event log, and stop-aware waiting.
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiException, type CoreV1Api } from '@kubernetes/client-node';
import type { VeleroApi } from './velero-api.ts';

export type StandInEventKind =
  | 'server'
  | 'backup'
  | 'hook'
  | 'schedule'
  | 'delete-request'
  | 'download-request'
  | 'storage-location'
  | 'error';

/** One thing the stand-in did or noticed, for assertions and for debugging a failed test. */
export interface StandInEvent {
  at: Date;
  kind: StandInEventKind;
  /** The object concerned (Backup, Schedule, ... name; namespace/name for a pod). */
  name: string;
  message: string;
}

export interface StandInContext {
  readonly api: VeleroApi;
  readonly core: CoreV1Api;
  readonly namespace: string;
  readonly stopped: boolean;
  record(kind: StandInEventKind, name: string, message: string): void;
  /** Retries an API call through transient failures (network, 5xx, 429), e.g. an API server restart. */
  retry<T>(call: () => Promise<T>): Promise<T>;
  /** Waits the configured delay between phases; false when the stand-in stopped meanwhile. */
  pause(): Promise<boolean>;
  /** Resolves when the stand-in stops. */
  readonly stopping: Promise<void>;
}

const RETRY_INTERVAL_MS = 250;
const RETRY_ATTEMPTS = 60;

export async function retryTransient<T>(call: () => Promise<T>, stopped: () => boolean): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const transient = !(err instanceof ApiException) || err.code >= 500 || err.code === 429;
      if (!transient || attempt >= RETRY_ATTEMPTS || stopped()) throw err;
      await sleep(RETRY_INTERVAL_MS);
    }
  }
}

export function describeError(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = typeof err.body === 'string' ? err.body : JSON.stringify(err.body);
    return `HTTP ${err.code}: ${String(body)}`;
  }
  return err instanceof Error ? err.message : String(err);
}
