import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock, settle } from '../../src/core/fake-clock.ts';
import {
  ExponentialBackoffLimiter,
  MaxOfLimiter,
  TokenBucketLimiter,
  defaultControllerRateLimiter,
} from '../../src/core/rate-limiter.ts';
import { WorkQueue } from '../../src/core/work-queue.ts';

/** A queue whose overall rate limit never interferes, so per-key behaviour shows alone. */
function queueWith(clock: FakeClock): WorkQueue {
  return new WorkQueue({ clock, rateLimiter: new ExponentialBackoffLimiter(5, 1_000_000) });
}

describe('WorkQueue', () => {
  test('a key added many times is queued once, in first-added order', async () => {
    const q = queueWith(new FakeClock());
    for (const key of ['a', 'b', 'a', 'c', 'b']) q.add(key);
    assert.equal(q.len(), 3);
    assert.deepEqual([await q.get(), await q.get(), await q.get()], ['a', 'b', 'c']);
    assert.equal(q.len(), 0);
  });

  test('a key being processed is not handed to a second worker; re-adds run once after done', async () => {
    const q = queueWith(new FakeClock());
    q.add('a');
    assert.equal(await q.get(), 'a');

    let second: { key: string | undefined } | undefined;
    void q.get().then((key) => (second = { key }));
    q.add('a');
    q.add('a');
    await settle();
    assert.equal(second, undefined, 'a must not go to another worker while processing');
    assert.equal(q.len(), 0);

    q.done('a');
    await settle();
    assert.deepEqual(second, { key: 'a' }, 'a runs again once after done');
    q.done('a');
    assert.equal(q.len(), 0, 'the repeated adds collapsed into one run');
  });

  test('a waiting worker gets a key as soon as it is added', async () => {
    const q = queueWith(new FakeClock());
    const next = q.get();
    q.add('x');
    assert.equal(await next, 'x');
  });

  test('addAfter makes the key ready when it falls due', async () => {
    const clock = new FakeClock();
    const q = queueWith(clock);
    q.addAfter('a', 100);
    assert.equal(q.len(), 0);
    await clock.advance(99);
    assert.equal(q.len(), 0);
    await clock.advance(1);
    assert.equal(q.len(), 1);
  });

  test('a later addAfter for the same key keeps the earliest due time', async () => {
    const clock = new FakeClock();
    const q = queueWith(clock);
    q.addAfter('late-first', 100);
    q.addAfter('late-first', 50);
    q.addAfter('early-first', 100);
    q.addAfter('early-first', 200);
    await clock.advance(50);
    assert.deepEqual(await drainReady(q), ['late-first']);
    await clock.advance(50);
    assert.deepEqual(await drainReady(q), ['early-first']);
    await clock.advance(500);
    assert.equal(q.len(), 0, 'nothing left waiting: each key was delayed once');
  });

  test('addAfter with no delay adds at once', () => {
    const q = queueWith(new FakeClock());
    q.addAfter('a', 0);
    assert.equal(q.len(), 1);
  });

  test('addRateLimited backs off per key exponentially and forget resets it', async () => {
    const clock = new FakeClock();
    const q = queueWith(clock);
    const readyAt: number[] = [];
    for (let i = 0; i < 4; i++) {
      q.addRateLimited('a');
      const start = clock.now();
      while (q.len() === 0) await clock.advance(1);
      readyAt.push(clock.now() - start);
      assert.equal(await q.get(), 'a');
      q.done('a');
    }
    assert.deepEqual(readyAt, [5, 10, 20, 40]);
    assert.equal(q.numRequeues('a'), 4);
    q.forget('a');
    assert.equal(q.numRequeues('a'), 0);
    q.addRateLimited('a');
    await clock.advance(5);
    assert.equal(q.len(), 1, 'after forget the backoff starts again at 5 ms');
  });

  test('shutDown hands out nothing more, drops waiting keys, and drain waits for keys in flight', async () => {
    const clock = new FakeClock();
    const q = queueWith(clock);
    q.add('in-flight');
    assert.equal(await q.get(), 'in-flight');
    q.add('queued');
    q.addAfter('later', 10);

    q.shutDown();
    assert.equal(await q.get(), undefined);
    q.add('after-shutdown');
    assert.equal(q.len(), 0);

    let drained = false;
    void q.drain().then(() => (drained = true));
    await clock.advance(100);
    assert.equal(drained, false, 'drain waits for the key being processed');
    assert.equal(q.len(), 0, 'the queued and the delayed key were dropped');
    q.done('in-flight');
    await settle();
    assert.equal(drained, true);
    assert.equal(clock.pendingTimers(), 0, 'no timer left behind');
  });

  test('shutDown releases workers waiting for a key', async () => {
    const q = queueWith(new FakeClock());
    const waiting = [q.get(), q.get()];
    q.shutDown();
    assert.deepEqual(await Promise.all(waiting), [undefined, undefined]);
  });
});

describe('rate limiters', () => {
  test('exponential backoff runs from 5 ms and is capped at 1000 s', () => {
    const limiter = new ExponentialBackoffLimiter(5, 1_000_000);
    const delays = Array.from({ length: 30 }, () => limiter.when('k'));
    assert.deepEqual(delays.slice(0, 5), [5, 10, 20, 40, 80]);
    assert.equal(Math.max(...delays), 1_000_000);
    assert.equal(delays.at(-1), 1_000_000);
    assert.equal(limiter.when('other'), 5, 'keys back off independently');
  });

  test('token bucket allows a burst of 100, then 10 per second', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucketLimiter(clock, 10, 100);
    const burst = Array.from({ length: 100 }, (_, i) => bucket.when(`k${i}`));
    assert.ok(burst.every((d) => d === 0));
    assert.equal(bucket.when('k100'), 100);
    assert.equal(bucket.when('k101'), 200);
    await clock.advance(1000);
    // 10 tokens came back; two were already spoken for.
    const next = Array.from({ length: 9 }, (_, i) => bucket.when(`m${i}`));
    assert.equal(next.filter((d) => d === 0).length, 8);
  });

  test('the default limiter is the larger of per-key backoff and the overall bucket', () => {
    const clock = new FakeClock();
    const limiter = defaultControllerRateLimiter(clock);
    assert.equal(limiter.when('a'), 5);
    assert.equal(limiter.when('a'), 10);
    for (let i = 0; i < 98; i++) limiter.when(`fresh${i}`);
    // Bucket empty: a fresh key now waits for a token although its own backoff would be 5 ms.
    assert.equal(limiter.when('fresh-last'), 100);
    limiter.forget('a');
    assert.equal(limiter.retries('a'), 0);
  });

  test('MaxOf counts retries from the limiter that tracks them', () => {
    const limiter = new MaxOfLimiter(
      new ExponentialBackoffLimiter(),
      new TokenBucketLimiter(new FakeClock()),
    );
    limiter.when('a');
    limiter.when('a');
    assert.equal(limiter.retries('a'), 2);
  });
});

async function drainReady(q: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (q.len() > 0) {
    const key = await q.get();
    if (key === undefined) break;
    keys.push(key);
    q.done(key);
  }
  return keys;
}
