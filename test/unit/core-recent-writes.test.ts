import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../../src/core/fake-clock.ts';
import type { KubeObject } from '../../src/core/object-key.ts';
import { RecentWrites } from '../../src/core/recent-writes.ts';

const at = (resourceVersion: string, note = ''): KubeObject => ({
  metadata: { namespace: 'ns', name: 'w', resourceVersion, labels: { note } },
});

describe('RecentWrites', () => {
  test('the write is read instead of the cached copy it replaced, until the cache shows it', () => {
    const recent = new RecentWrites({ clock: new FakeClock() });
    const cached = at('1');
    assert.equal(recent.read('ns/w', cached), cached, 'nothing written: the cache');
    const written = at('2', 'status');
    recent.wrote('ns/w', cached, written);
    assert.equal(recent.read('ns/w', cached), written, 'the cache lags behind the write');
    const caughtUp = at('2', 'status');
    assert.equal(recent.read('ns/w', caughtUp), caughtUp);
    assert.equal(recent.size(), 0, 'the entry goes once the cache has moved on');
    assert.equal(recent.read('ns/w', cached), cached);
  });

  test('several writes in a row: every version they replaced counts as stale', () => {
    const recent = new RecentWrites({ clock: new FakeClock() });
    const finalized = at('2', 'finalizer');
    recent.wrote('ns/w', at('1'), finalized);
    const statused = at('3', 'status');
    recent.wrote('ns/w', finalized, statused);
    assert.equal(recent.read('ns/w', at('1')), statused);
    assert.equal(recent.read('ns/w', at('2')), statused, 'the cache saw the first write only');
    const caughtUp = at('3', 'status');
    assert.equal(recent.read('ns/w', caughtUp), caughtUp);
    assert.equal(recent.size(), 0);
  });

  test("someone else's later change wins over the remembered write", () => {
    const recent = new RecentWrites({ clock: new FakeClock() });
    recent.wrote('ns/w', at('1'), at('2'));
    const theirs = at('7', 'theirs');
    assert.equal(recent.read('ns/w', theirs), theirs);
    assert.equal(recent.size(), 0);
  });

  test('a create is read while the cache has no copy; a deleted object is read as gone', () => {
    const recent = new RecentWrites({ clock: new FakeClock() });
    const created = at('5');
    recent.wrote('ns/w', undefined, created);
    assert.equal(recent.read('ns/w', undefined), created);
    recent.forget('ns/w');
    recent.wrote('ns/w', at('5'), at('6'));
    assert.equal(recent.read('ns/w', undefined), undefined, 'deleted after the write');
    assert.equal(recent.size(), 0);
  });

  test('entries expire, also for keys that are never read again', async () => {
    const clock = new FakeClock();
    const recent = new RecentWrites({ clock, maxAgeMs: 1000 });
    recent.wrote('ns/a', undefined, at('1'));
    await clock.advance(1000);
    assert.equal(recent.read('ns/a', undefined), undefined, 'expired');
    recent.wrote('ns/b', undefined, at('2'));
    recent.wrote('ns/c', undefined, at('3'));
    await clock.advance(600);
    recent.wrote('ns/b', at('2'), at('4'));
    await clock.advance(600);
    recent.wrote('ns/d', undefined, at('5'));
    assert.equal(recent.size(), 2, 'c expired unread; b was written again since');
  });
});
