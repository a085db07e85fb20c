import type { KubeConfig } from '@kubernetes/client-node';
import { realClock, type Clock } from './clock.ts';
import { KubeRest, microTime, resourcePath } from './kube-rest.ts';
import { errorFields, silentLogger, type Logger } from './logger.ts';
import type { KubeObject } from './object-key.ts';

export interface EventInfo {
  type: 'Normal' | 'Warning';
  /** Why, in UpperCamelCase, e.g. `BackupFailed`. */
  reason: string;
  /** What was done or failed, in UpperCamelCase, e.g. `CreateSchedule`. */
  action: string;
  /** For humans; cut to the API's 1 kB. */
  note: string;
  related?: KubeObject;
}

/** Writes events.k8s.io/v1 Events; the writer side of a reconcile, so it must never fail one. */
export interface EventSink {
  create(namespace: string, event: unknown): Promise<void>;
}

export interface EventRecorderOptions {
  reportingController: string;
  reportingInstance: string;
  /** Where Events go; one of the two is required. `sink` replaces the API server in unit tests. */
  kubeConfig?: KubeConfig;
  sink?: EventSink;
  /** An identical event (same object, type, reason, action, note) is not written again within this. Default 10 min. */
  dedupeWindowMs?: number;
  logger?: Logger;
  clock?: Clock;
}

const maxNoteBytes = 1024;
const maxReasonLength = 128;
const maxTracked = 4096;

/**
 * Records Events about objects for humans (`kubectl describe`, `kubectl events`). Writing is fire and forget:
 * failures are logged and dropped, and a reconcile that emits the same event on every pass writes it once per
 * window instead of flooding the API server.
 */
export class EventRecorder {
  private readonly sink: EventSink;
  private readonly options: EventRecorderOptions;
  private readonly windowMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly lastWritten = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();
  private counter = 0;

  constructor(options: EventRecorderOptions) {
    if (options.sink) this.sink = options.sink;
    else if (options.kubeConfig) this.sink = kubeEventSink(options.kubeConfig);
    else throw new Error('event recorder: kubeConfig or sink is required');
    this.options = options;
    this.windowMs = options.dedupeWindowMs ?? 10 * 60 * 1000;
    this.clock = options.clock ?? realClock;
    this.log = (options.logger ?? silentLogger()).child({ reportingController: options.reportingController });
  }

  /** Records an event about `regarding`; returns at once. */
  event(regarding: KubeObject, info: EventInfo): void {
    const meta = regarding.metadata ?? {};
    const note = truncateBytes(info.note, maxNoteBytes);
    const dedupeKey = JSON.stringify([
      meta.uid ?? `${meta.namespace}/${meta.name}`,
      info.type,
      info.reason,
      info.action,
      note,
    ]);
    const now = this.clock.now();
    const last = this.lastWritten.get(dedupeKey);
    if (last !== undefined && now - last < this.windowMs) return;
    this.remember(dedupeKey, now);

    const namespace = meta.namespace || 'default';
    const event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: eventName(meta.name ?? 'object', this.counter++), namespace },
      eventTime: microTime(new Date()),
      type: info.type,
      reason: info.reason.slice(0, maxReasonLength),
      action: info.action.slice(0, maxReasonLength),
      note,
      reportingController: this.options.reportingController,
      reportingInstance: this.options.reportingInstance,
      regarding: reference(regarding),
      ...(info.related ? { related: reference(info.related) } : {}),
    };
    const key = meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
    const write = this.sink
      .create(namespace, event)
      .then(() => {
        this.log.debug('event recorded', { key, type: info.type, reason: info.reason });
      })
      .catch((err: unknown) => {
        // Allow a retry on the next pass instead of suppressing an event that was never written.
        this.lastWritten.delete(dedupeKey);
        this.log.warn('failed to record event', { key, reason: info.reason, ...errorFields(err) });
      })
      .finally(() => this.pending.delete(write));
    this.pending.add(write);
  }

  /** Resolves when every event recorded so far was written or given up. */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private remember(key: string, now: number): void {
    this.lastWritten.delete(key);
    this.lastWritten.set(key, now);
    if (this.lastWritten.size <= maxTracked) return;
    // Map iteration is insertion order, so the first entries are the oldest.
    for (const [k, at] of this.lastWritten) {
      if (this.lastWritten.size <= maxTracked && now - at < this.windowMs) break;
      this.lastWritten.delete(k);
    }
  }
}

function kubeEventSink(kubeConfig: KubeConfig): EventSink {
  const rest = new KubeRest(kubeConfig);
  return {
    async create(namespace, event) {
      const path = resourcePath({ apiVersion: 'events.k8s.io/v1', plural: 'events', namespace });
      await rest.request('POST', path, { body: event, timeoutMs: 10_000 });
    },
  };
}

function reference(obj: KubeObject): Record<string, string> {
  const m = obj.metadata ?? {};
  const ref: Record<string, string | undefined> = {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name: m.name,
    namespace: m.namespace,
    uid: m.uid,
    resourceVersion: m.resourceVersion,
  };
  return Object.fromEntries(Object.entries(ref).filter((e): e is [string, string] => e[1] !== undefined));
}

/** `<object>.<unique hex>` like client-go's recorder, short enough for a DNS subdomain name. */
function eventName(objectName: string, counter: number): string {
  const suffix = (Date.now() * 1000 + (counter % 1000)).toString(16);
  return `${objectName.slice(0, 253 - suffix.length - 1)}.${suffix}`;
}

function truncateBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > max - 3) break;
    out += ch;
    bytes += size;
  }
  return `${out}...`;
}
