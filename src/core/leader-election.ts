import type { KubeConfig } from '@kubernetes/client-node';
import { realClock, sleep, type Clock } from './clock.ts';
import { KubeRest, isNotFound, microTime, resourcePath } from './kube-rest.ts';
import { errorFields, silentLogger, type Logger } from './logger.ts';

/** The spec of a coordination.k8s.io/v1 Lease, as the API server sends it. */
export interface LeaseRecord {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface ObservedLease {
  record: LeaseRecord;
  resourceVersion: string;
}

/** Reads and writes the one Lease an elector competes for; each call gives up after `timeoutMs`. */
export interface LeaseStore {
  readonly description: string;
  get(timeoutMs: number): Promise<ObservedLease | undefined>;
  /** Returns the new resourceVersion; fails if the Lease exists. */
  create(record: LeaseRecord, timeoutMs: number): Promise<string>;
  /** Returns the new resourceVersion; fails with a conflict if the Lease changed since `resourceVersion`. */
  update(record: LeaseRecord, resourceVersion: string, timeoutMs: number): Promise<string>;
}

/**
 * The record to write to hold the lease, or undefined while another holder's lease is valid. Expiry is
 * measured from when this elector saw the lease change (`observedAtMs`, on its own clock), not from the
 * lease's renewTime, so clock skew between replicas does not matter (as in client-go).
 */
export function nextLeaseRecord(p: {
  identity: string;
  current: LeaseRecord;
  observedAtMs: number;
  nowMs: number;
  leaseDurationSeconds: number;
  wallTime: string;
}): LeaseRecord | undefined {
  const holder = p.current.holderIdentity;
  const renewing = holder === p.identity;
  if (holder && !renewing) {
    const validMs = (p.current.leaseDurationSeconds ?? p.leaseDurationSeconds) * 1000;
    if (p.observedAtMs + validMs > p.nowMs) return undefined;
  }
  return {
    holderIdentity: p.identity,
    leaseDurationSeconds: p.leaseDurationSeconds,
    acquireTime: renewing ? (p.current.acquireTime ?? p.wallTime) : p.wallTime,
    renewTime: p.wallTime,
    leaseTransitions: (p.current.leaseTransitions ?? 0) + (renewing ? 0 : 1),
  };
}

/** The record that gives the lease up: no holder, so the next candidate takes it at once. */
export function releasedLeaseRecord(current: LeaseRecord, wallTime: string): LeaseRecord {
  return {
    leaseDurationSeconds: 1,
    acquireTime: wallTime,
    renewTime: wallTime,
    leaseTransitions: current.leaseTransitions ?? 0,
  };
}

export function kubeLeaseStore(kubeConfig: KubeConfig, namespace: string, name: string): LeaseStore {
  const rest = new KubeRest(kubeConfig);
  const ref = { apiVersion: 'coordination.k8s.io/v1', plural: 'leases', namespace };
  const body = (record: LeaseRecord, resourceVersion?: string): unknown => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: record,
  });
  type Lease = { metadata?: { resourceVersion?: string }; spec?: LeaseRecord };
  const rv = (lease: Lease): string => lease.metadata?.resourceVersion ?? '';
  return {
    description: `${namespace}/${name}`,
    async get(timeoutMs) {
      try {
        const lease = await rest.request<Lease>('GET', resourcePath(ref, name), { timeoutMs });
        return { record: lease.spec ?? {}, resourceVersion: rv(lease) };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async create(record, timeoutMs) {
      return rv(await rest.request<Lease>('POST', resourcePath(ref), { body: body(record), timeoutMs }));
    },
    async update(record, resourceVersion, timeoutMs) {
      const path = resourcePath(ref, name);
      return rv(await rest.request<Lease>('PUT', path, { body: body(record, resourceVersion), timeoutMs }));
    },
  };
}

export interface LeaderElectionOptions {
  identity: string;
  lease: LeaseStore;
  /** Default 15 s: how long a lease stays valid after its holder was last seen renewing it. */
  leaseDurationMs?: number;
  /** Default 10 s: a leader that could not renew for this long gives up leading. */
  renewDeadlineMs?: number;
  /** Default 2 s: time between attempts to acquire or renew. */
  retryPeriodMs?: number;
  /** Called once this elector leads. */
  onStartedLeading: () => void;
  /** Called if leadership is lost (not on `stop`); the process should stop reconciling at once. */
  onStoppedLeading: () => void;
  /** Called whenever the observed holder changes. */
  onNewLeader?: (identity: string | undefined) => void;
  logger?: Logger;
  clock?: Clock;
}

const releaseTimeoutMs = 5_000;

/** client-go style leader election on a Lease. Not leading until `onStartedLeading`. */
export class LeaderElector {
  private readonly identity: string;
  private readonly lease: LeaseStore;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly options: LeaderElectionOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly stopSignal = new AbortController();

  private observed: ObservedLease | undefined;
  private observedAtMs = 0;
  private leading = false;
  private loop: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: LeaderElectionOptions) {
    this.identity = options.identity;
    this.lease = options.lease;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseDurationMs)
      throw new Error('renewDeadline must be below leaseDuration');
    if (this.retryPeriodMs >= this.renewDeadlineMs)
      throw new Error('retryPeriod must be below renewDeadline');
    this.options = options;
    this.log = (options.logger ?? silentLogger()).child({
      lease: options.lease.description,
      identity: options.identity,
    });
    this.clock = options.clock ?? realClock;
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (this.loop || this.stopping) return;
    this.log.info('leader election started');
    this.loop = this.run().catch((err: unknown) => {
      this.log.error('leader election failed', errorFields(err));
      if (this.leading) this.lose();
    });
  }

  /** Stops competing; if leading, gives the lease up so a standby takes over without waiting for expiry. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopSignal.abort();
      await this.loop;
      if (!this.leading) return;
      this.leading = false;
      await this.release();
    })();
    return this.stopping;
  }

  private async run(): Promise<void> {
    const stopped = this.stopSignal.signal;
    while (!stopped.aborted) {
      if (await this.tryAcquireOrRenew(this.clock.now() + this.renewDeadlineMs)) break;
      // Jitter keeps standbys from retrying in lockstep; kept small so takeover stays near leaseDuration.
      await sleep(this.clock, this.retryPeriodMs * (1 + 0.2 * Math.random()), stopped);
    }
    if (stopped.aborted) return;
    this.leading = true;
    let lastRenewMs = this.clock.now();
    this.log.info('became leader');
    this.options.onStartedLeading();

    while (!stopped.aborted) {
      await sleep(this.clock, this.retryPeriodMs, stopped);
      if (stopped.aborted) return;
      const attemptMs = this.clock.now();
      const deadline = lastRenewMs + this.renewDeadlineMs;
      if (await this.tryAcquireOrRenew(deadline)) {
        lastRenewMs = attemptMs;
        continue;
      }
      if (this.clock.now() >= deadline && !stopped.aborted) {
        this.lose();
        return;
      }
    }
  }

  private lose(): void {
    this.leading = false;
    this.log.error('lost leadership: could not renew the lease within the renew deadline', {
      renewDeadlineMs: this.renewDeadlineMs,
    });
    this.options.onStoppedLeading();
  }

  /** One attempt; every request must finish before `deadlineMs`. */
  private async tryAcquireOrRenew(deadlineMs: number): Promise<boolean> {
    const timeout = (): number => Math.max(1, deadlineMs - this.clock.now());
    const wallTime = microTime(new Date());
    try {
      const current = await this.lease.get(timeout());
      if (!current) {
        const record: LeaseRecord = {
          holderIdentity: this.identity,
          leaseDurationSeconds: Math.round(this.leaseDurationMs / 1000),
          acquireTime: wallTime,
          renewTime: wallTime,
          leaseTransitions: 0,
        };
        this.observe({ record, resourceVersion: await this.lease.create(record, timeout()) });
        return true;
      }
      this.observe(current);
      const next = nextLeaseRecord({
        identity: this.identity,
        current: current.record,
        observedAtMs: this.observedAtMs,
        nowMs: this.clock.now(),
        leaseDurationSeconds: Math.round(this.leaseDurationMs / 1000),
        wallTime,
      });
      if (!next) return false;
      this.observe({
        record: next,
        resourceVersion: await this.lease.update(next, current.resourceVersion, timeout()),
      });
      return true;
    } catch (err) {
      this.log.warn(
        this.leading ? 'failed to renew the lease' : 'failed to acquire the lease',
        errorFields(err),
      );
      return false;
    }
  }

  private observe(lease: ObservedLease): void {
    if (lease.resourceVersion === this.observed?.resourceVersion) return;
    const previousHolder = this.observed?.record.holderIdentity;
    this.observed = lease;
    this.observedAtMs = this.clock.now();
    const holder = lease.record.holderIdentity;
    if (holder !== previousHolder) {
      this.log.info('lease holder observed', { holder: holder ?? '(none)' });
      this.options.onNewLeader?.(holder);
    }
  }

  private async release(): Promise<void> {
    try {
      const current = await this.lease.get(releaseTimeoutMs);
      if (current?.record.holderIdentity !== this.identity) return;
      const released = releasedLeaseRecord(current.record, microTime(new Date()));
      await this.lease.update(released, current.resourceVersion, releaseTimeoutMs);
      this.log.info('released the lease');
    } catch (err) {
      this.log.warn('failed to release the lease; a standby takes over when it expires', errorFields(err));
    }
  }
}
