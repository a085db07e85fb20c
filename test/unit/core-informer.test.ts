import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock, settle } from '../../src/core/fake-clock.ts';
import { FakeListWatch } from '../../src/core/fake-list-watch.ts';
import { Informer, type InformerOptions } from '../../src/core/informer.ts';
import { KubeApiError } from '../../src/core/kube-rest.ts';
import { metadataOnly, type KubeObject } from '../../src/core/object-key.ts';

const resource = { apiVersion: 'v1', plural: 'configmaps' };

function cm(
  namespace: string,
  name: string,
  data: Record<string, string> = {},
): KubeObject & { data: object } {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name }, data };
}

/** Records what an informer tells its handlers, as `verb key` lines. */
function recorder(informer: Informer): string[] {
  const seen: string[] = [];
  const key = (o: KubeObject): string => `${o.metadata?.namespace}/${o.metadata?.name}`;
  informer.addHandler({
    add: (o) => seen.push(`add ${key(o)}`),
    update: (o, n) => seen.push(o === n ? `resync ${key(n)}` : `update ${key(n)}`),
    delete: (o) => seen.push(`delete ${key(o)}`),
  });
  return seen;
}

function setup(initial: KubeObject[] = [], options: Partial<InformerOptions<KubeObject>> = {}) {
  const clock = new FakeClock();
  const source = new FakeListWatch(initial);
  const informer = new Informer({ resource, source, clock, watchTimeoutSeconds: 60, ...options });
  return { clock, source, informer, seen: recorder(informer) };
}

describe('Informer', () => {
  test('lists into the cache, reports synced, then follows watch events', async () => {
    const { source, informer, seen } = setup([cm('a', 'one'), cm('b', 'two')]);
    assert.equal(informer.hasSynced(), false);
    informer.start();
    assert.equal(await informer.waitForSync(), true);
    await settle(); // the watch opens after the list was applied
    assert.deepEqual(seen.splice(0), ['add a/one', 'add b/two']);
    assert.deepEqual(informer.keys().sort(), ['a/one', 'b/two']);
    assert.equal(informer.list('a').length, 1);

    source.apply('ADDED', cm('a', 'three'));
    source.apply('MODIFIED', cm('a', 'one', { k: 'v' }));
    source.apply('DELETED', cm('b', 'two'));
    assert.deepEqual(seen, ['add a/three', 'update a/one', 'delete b/two']);
    assert.deepEqual((informer.get('a/one') as { data?: object }).data, { k: 'v' });
    assert.equal(informer.get('b/two'), undefined);
    informer.stop();
  });

  test('watches with a server timeout from the listed resourceVersion, and bookmarks move it on', async () => {
    const { source, informer } = setup([cm('a', 'one')]);
    informer.start();
    await informer.waitForSync();
    await settle();
    assert.deepEqual(source.watches[0]?.query, { resourceVersion: '1', timeoutSeconds: 60 });

    source.send('BOOKMARK', { kind: 'ConfigMap', metadata: { resourceVersion: '42' } });
    source.endWatch();
    await settle();
    assert.equal(source.listCalls, 1, 'a normally closed watch resumes without a relist');
    assert.equal(source.watches[1]?.query.resourceVersion, '42');
    informer.stop();
  });

  test('a handler added later gets the cached objects replayed as adds', async () => {
    const { informer } = setup([cm('a', 'one')]);
    informer.start();
    await informer.waitForSync();
    const late: string[] = [];
    informer.addHandler({ add: (o) => late.push(o.metadata?.name ?? '') });
    assert.deepEqual(late, ['one']);
    informer.stop();
  });

  test('an expired resourceVersion (410) relists and reports what changed meanwhile', async () => {
    const { source, informer, seen } = setup([cm('a', 'kept'), cm('a', 'gone')]);
    informer.start();
    await informer.waitForSync();
    await settle();
    seen.length = 0;

    source.applySilently({ delete: 'a/gone' });
    source.applySilently(cm('a', 'new'));
    source.send('ERROR', {
      kind: 'Status',
      code: 410,
      reason: 'Expired',
      message: 'too old resource version',
    });
    await settle();
    assert.equal(source.listCalls, 2);
    assert.deepEqual(seen, ['delete a/gone', 'add a/new'], 'unchanged objects are not reported');
    assert.equal(source.watches.filter((w) => w.open).length, 1, 'exactly one watch open after the relist');
    informer.stop();
  });

  test('a watch error restarts the watch after a backoff, from the last resourceVersion', async () => {
    const { clock, source, informer } = setup([cm('a', 'one')]);
    informer.start();
    await informer.waitForSync();
    await settle();
    source.endWatch(new Error('connect ECONNRESET'));
    await settle();
    assert.equal(source.watches.length, 1, 'no immediate reconnect after an error');
    assert.ok(informer.lastError() instanceof Error);

    await clock.advance(800);
    assert.equal(source.watches.length, 2);
    assert.equal(source.watches[1]?.query.resourceVersion, '1');
    assert.equal(source.listCalls, 1);
    informer.stop();
  });

  test('list failures are retried with growing backoff until the list succeeds', async () => {
    const { clock, source, informer } = setup([cm('a', 'one')]);
    source.listError = new KubeApiError(404, 'NotFound', 'the server could not find the requested resource');
    informer.start();
    await settle();
    assert.equal(informer.hasSynced(), false);
    assert.equal((informer.lastError() as KubeApiError).statusCode, 404);

    await clock.advance(60_000);
    const attempts = source.listCalls;
    // 800 ms doubling to the 30 s cap, with jitter of at most half: between 4 and 9 tries in a minute.
    assert.ok(attempts >= 4 && attempts <= 9, `${attempts} list attempts in 60 s`);

    source.listError = undefined;
    await clock.advance(30_000);
    assert.equal(informer.hasSynced(), true);
    assert.equal(informer.lastError(), undefined);
    informer.stop();
  });

  test('a watch still open well after its timeout is presumed dead and replaced', async () => {
    const { clock, source, informer } = setup([cm('a', 'one')]);
    informer.start();
    await informer.waitForSync();
    await settle();
    const silent = source.openWatch();
    await clock.advance(60_000);
    assert.equal(source.watches.length, 1, 'within its timeout the watch is left alone');

    await clock.advance(30_000 + 30_000);
    assert.equal(silent?.open, false, 'the silent watch was aborted');
    assert.ok(source.watches.length >= 2, 'and a new one started');
    source.apply('ADDED', cm('a', 'after'));
    assert.ok(informer.get('a/after'), 'the new watch delivers');
    informer.stop();
  });

  test('a watch the server closes at once counts as a failure, so it cannot hot-loop', async () => {
    const { clock, source, informer } = setup();
    informer.start();
    await informer.waitForSync();
    await settle();
    source.endWatch();
    await settle();
    assert.equal(source.watches.length, 1);
    await clock.advance(800);
    assert.equal(source.watches.length, 2);
    informer.stop();
  });

  test('resync hands every cached object to update handlers', async () => {
    const { clock, informer, seen } = setup([cm('a', 'one')], { resyncPeriodMs: 1000 });
    informer.start();
    await informer.waitForSync();
    seen.length = 0;
    await clock.advance(1000);
    assert.deepEqual(seen, ['resync a/one']);
    informer.stop();
  });

  test('transform runs before caching, so the cache holds only what it returns', async () => {
    const clock = new FakeClock();
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { namespace: 'a', name: 'p', labels: { app: 'db' }, managedFields: [{}] },
      spec: { containers: [{ name: 'db' }] },
    };
    const source = new FakeListWatch([pod]);
    const informer = new Informer({ resource, source, clock, transform: metadataOnly });
    informer.start();
    await informer.waitForSync();
    await settle();
    const cached = informer.get('a/p') as Record<string, unknown>;
    assert.equal(cached.spec, undefined);
    assert.deepEqual((cached.metadata as { labels: object }).labels, { app: 'db' });
    assert.equal((cached.metadata as Record<string, unknown>).managedFields, undefined);
    source.apply('MODIFIED', { ...pod, metadata: { ...pod.metadata, labels: { app: 'db2' } } });
    assert.equal(informer.get('a/p')?.metadata?.labels?.app, 'db2');
    assert.equal((informer.get('a/p') as Record<string, unknown>).spec, undefined);
    informer.stop();
  });

  test('a handler that throws does not stop the others or the informer', async () => {
    const { source, informer, seen } = setup();
    informer.addHandler({
      add: () => {
        throw new Error('boom');
      },
    });
    informer.start();
    await informer.waitForSync();
    await settle();
    source.apply('ADDED', cm('a', 'x'));
    source.apply('ADDED', cm('a', 'y'));
    assert.deepEqual(seen, ['add a/x', 'add a/y']);
    informer.stop();
  });

  test('stop ends the watch and leaves no timers; a stopped informer cannot be restarted', async () => {
    const { clock, source, informer } = setup([cm('a', 'one')], { resyncPeriodMs: 1000 });
    const waiter = informer.waitForSync();
    informer.stop();
    assert.equal(await waiter, false);

    const second = setup([cm('a', 'one')]);
    second.informer.start();
    await second.informer.waitForSync();
    await settle();
    second.informer.stop();
    assert.equal(second.source.openWatch(), undefined);
    assert.equal(second.clock.pendingTimers(), 0);
    assert.throws(() => second.informer.start(), /stopped/);
    assert.equal(source.listCalls, 0);
    assert.equal(clock.pendingTimers(), 0);
  });

  test('indexes find objects by namespace and by indexer values, and follow updates and deletes', async () => {
    const owned = (namespace: string, name: string, owner: string) => ({
      ...cm(namespace, name),
      metadata: { namespace, name, labels: { owner } },
    });
    const { source, informer } = setup([owned('a', 'one', 'x'), owned('b', 'two', 'x')], {
      indexers: { owner: (o) => [o.metadata?.labels?.owner ?? ''] },
    });
    informer.start();
    await informer.waitForSync();
    await settle();
    const names = (objects: KubeObject[]) => objects.map((o) => o.metadata?.name).sort();
    assert.deepEqual(names(informer.byIndex('owner', 'x')), ['one', 'two']);
    assert.deepEqual(names(informer.list('a')), ['one']);

    source.apply('MODIFIED', owned('b', 'two', 'y'));
    source.apply('ADDED', owned('a', 'three', 'y'));
    assert.deepEqual(names(informer.byIndex('owner', 'x')), ['one']);
    assert.deepEqual(names(informer.byIndex('owner', 'y')), ['three', 'two']);
    assert.deepEqual(names(informer.list('a')), ['one', 'three']);

    source.apply('DELETED', owned('a', 'one', 'x'));
    assert.deepEqual(informer.byIndex('owner', 'x'), []);
    assert.deepEqual(names(informer.list('a')), ['three']);
    assert.deepEqual(informer.list('nowhere'), []);
    assert.throws(() => informer.byIndex('missing', 'x'), /no index missing/);
    informer.stop();
  });

  test('a large list is applied in batches that let other callbacks run in between', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => cm('a', `cm-${i}`));
    const { informer } = setup(many);
    informer.start();
    let cachedWhenOtherWorkRan: number | undefined;
    setImmediate(() => (cachedWhenOtherWorkRan = informer.keys().length));
    await informer.waitForSync();
    assert.equal(informer.keys().length, 1000);
    assert.ok(
      cachedWhenOtherWorkRan !== undefined && cachedWhenOtherWorkRan < 1000,
      `a callback queued at start ran with ${cachedWhenOtherWorkRan} of 1000 objects cached`,
    );
    informer.stop();
  });

  test('managedFields and the last-applied-configuration annotation are never cached', async () => {
    const applied = {
      ...cm('a', 'one'),
      metadata: {
        namespace: 'a',
        name: 'one',
        managedFields: [{ manager: 'kubectl' }],
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', keep: 'me' },
      },
    };
    const { source, informer } = setup([applied]);
    informer.start();
    await informer.waitForSync();
    await settle();
    const meta = () => informer.get('a/one')?.metadata as Record<string, unknown>;
    assert.equal(meta().managedFields, undefined);
    assert.deepEqual(meta().annotations, { keep: 'me' });
    source.apply('MODIFIED', { ...applied, metadata: { ...applied.metadata, annotations: undefined } });
    assert.equal(meta().managedFields, undefined);
    assert.equal('annotations' in meta(), false);
    informer.stop();
  });
});
