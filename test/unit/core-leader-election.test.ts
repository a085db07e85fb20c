import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../../src/core/fake-clock.ts';
import { KubeApiError } from '../../src/core/kube-rest.ts';
import {
  LeaderElector,
  nextLeaseRecord,
  releasedLeaseRecord,
  type LeaseRecord,
  type LeaseStore,
} from '../../src/core/leader-election.ts';

/** One Lease in memory with the API server's optimistic concurrency; each replica may be cut off from it. */
class MemoryLease {
  record: LeaseRecord | undefined;
  private version = 0;
  readonly cutOff = new Set<string>();

  storeFor(identity: string): LeaseStore {
    const check = (): void => {
      if (this.cutOff.has(identity)) throw new Error('connect ETIMEDOUT');
    };
    return {
      description: 'test/lease',
      get: () => {
        check();
        return Promise.resolve(
          this.record && { record: { ...this.record }, resourceVersion: String(this.version) },
        );
      },
      create: (record) => {
        check();
        if (this.record) return Promise.reject(new KubeApiError(409, 'AlreadyExists', 'exists'));
        this.record = { ...record };
        return Promise.resolve(String(++this.version));
      },
      update: (record, resourceVersion) => {
        check();
        if (resourceVersion !== String(this.version))
          return Promise.reject(new KubeApiError(409, 'Conflict', 'changed'));
        this.record = { ...record };
        return Promise.resolve(String(++this.version));
      },
    };
  }
}

function elector(lease: MemoryLease, identity: string, clock: FakeClock, log: string[]): LeaderElector {
  return new LeaderElector({
    identity,
    lease: lease.storeFor(identity),
    clock,
    onStartedLeading: () => log.push(`${identity} leads`),
    onStoppedLeading: () => log.push(`${identity} lost`),
  });
}

/** Advances in small steps, checking that two electors never lead at the same time. */
/** Two replicas, a and b, contending for one in-memory Lease on a fake clock. */
function twoElectors() {
  const clock = new FakeClock();
  const lease = new MemoryLease();
  const log: string[] = [];
  return { clock, lease, log, a: elector(lease, 'a', clock, log), b: elector(lease, 'b', clock, log) };
}

async function run(clock: FakeClock, ms: number, electors: LeaderElector[]): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    await clock.advance(100);
    assert.ok(electors.filter((e) => e.isLeader()).length <= 1, 'two leaders at once');
  }
}

describe('nextLeaseRecord', () => {
  const base = { identity: 'me', observedAtMs: 0, leaseDurationSeconds: 15, wallTime: 'T' };
  const cases: { name: string; current: LeaseRecord; nowMs: number; expect: LeaseRecord | undefined }[] = [
    {
      name: 'an unheld lease is taken at once',
      current: { leaseTransitions: 3 },
      nowMs: 0,
      expect: {
        holderIdentity: 'me',
        leaseDurationSeconds: 15,
        acquireTime: 'T',
        renewTime: 'T',
        leaseTransitions: 4,
      },
    },
    {
      name: "another holder's lease is respected while valid",
      current: { holderIdentity: 'other', leaseDurationSeconds: 15, leaseTransitions: 1 },
      nowMs: 14_999,
      expect: undefined,
    },
    {
      name: "another holder's lease is taken once expired",
      current: { holderIdentity: 'other', leaseDurationSeconds: 15, leaseTransitions: 1 },
      nowMs: 15_000,
      expect: {
        holderIdentity: 'me',
        leaseDurationSeconds: 15,
        acquireTime: 'T',
        renewTime: 'T',
        leaseTransitions: 2,
      },
    },
    {
      name: 'renewing keeps acquireTime and the transition count',
      current: { holderIdentity: 'me', acquireTime: 'A', renewTime: 'R', leaseTransitions: 2 },
      nowMs: 1_000,
      expect: {
        holderIdentity: 'me',
        leaseDurationSeconds: 15,
        acquireTime: 'A',
        renewTime: 'T',
        leaseTransitions: 2,
      },
    },
    {
      name: 'a released lease (no holder) is taken at once',
      current: releasedLeaseRecord({ holderIdentity: 'other', leaseTransitions: 5 }, 'R'),
      nowMs: 0,
      expect: {
        holderIdentity: 'me',
        leaseDurationSeconds: 15,
        acquireTime: 'T',
        renewTime: 'T',
        leaseTransitions: 6,
      },
    },
  ];
  for (const c of cases) {
    test(c.name, () =>
      assert.deepEqual(nextLeaseRecord({ ...base, current: c.current, nowMs: c.nowMs }), c.expect),
    );
  }

  test('a released lease has no holder and keeps the transition count', () => {
    assert.deepEqual(releasedLeaseRecord({ holderIdentity: 'x', leaseTransitions: 7 }, 'T'), {
      leaseDurationSeconds: 1,
      acquireTime: 'T',
      renewTime: 'T',
      leaseTransitions: 7,
    });
  });
});

describe('LeaderElector', () => {
  test('of two candidates one leads and keeps leading while it renews', async () => {
    const { clock, lease, log, a, b } = twoElectors();
    a.start();
    await run(clock, 100, [a, b]);
    b.start();
    await run(clock, 60_000, [a, b]);
    assert.deepEqual(log, ['a leads']);
    assert.equal(lease.record?.holderIdentity, 'a');
    await Promise.all([a.stop(), b.stop()]);
  });

  test('a leader cut off from the API gives up at the renew deadline, before the standby takes over', async () => {
    const { clock, lease, log, a, b } = twoElectors();
    a.start();
    await run(clock, 100, [a, b]);
    b.start();
    await run(clock, 10_000, [a, b]);

    lease.cutOff.add('a');
    await run(clock, 30_000, [a, b]);
    assert.deepEqual(log, ['a leads', 'a lost', 'b leads']);
    assert.equal(a.isLeader(), false);
    assert.equal(b.isLeader(), true);
    assert.equal(lease.record?.holderIdentity, 'b');
    assert.equal(lease.record?.leaseTransitions, 1);
    await Promise.all([a.stop(), b.stop()]);
  });

  test('the standby waits a full lease duration from its last observation of a renewal', async () => {
    const { clock, lease, a, b } = twoElectors();
    a.start();
    await run(clock, 100, [a]);
    b.start();
    await run(clock, 5_000, [a, b]);
    lease.cutOff.add('a');
    // b saw a renewal at most one retry period (plus jitter) ago; the lease is valid 15 s from then.
    await run(clock, 12_000, [a, b]);
    assert.equal(b.isLeader(), false, 'not before the lease could have expired');
    await run(clock, 8_000, [a, b]);
    assert.equal(b.isLeader(), true);
    await Promise.all([a.stop(), b.stop()]);
  });

  test('stop releases the lease, so the standby takes over at its next retry instead of at expiry', async () => {
    const { clock, lease, log, a, b } = twoElectors();
    a.start();
    await run(clock, 100, [a]);
    b.start();
    await run(clock, 5_000, [a, b]);

    await a.stop();
    assert.equal(a.isLeader(), false);
    assert.equal(lease.record?.holderIdentity, undefined, 'holderIdentity cleared');
    await run(clock, 2_500, [a, b]);
    assert.deepEqual(log, ['a leads', 'b leads'], 'a graceful stop is not a lost leadership');
    await b.stop();
  });

  test('stop before leading writes nothing', async () => {
    const clock = new FakeClock();
    const lease = new MemoryLease();
    lease.record = { holderIdentity: 'someone', leaseDurationSeconds: 15 };
    const log: string[] = [];
    const a = elector(lease, 'a', clock, log);
    a.start();
    await run(clock, 5_000, [a]);
    await a.stop();
    assert.deepEqual(lease.record, { holderIdentity: 'someone', leaseDurationSeconds: 15 });
    assert.deepEqual(log, []);
  });
});
