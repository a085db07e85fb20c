import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Controller, keyFromLabels, type ReconcileOutcome } from '../../src/core/controller.ts';
import { FakeClock, settle } from '../../src/core/fake-clock.ts';
import { FakeListWatch } from '../../src/core/fake-list-watch.ts';
import { Informer } from '../../src/core/informer.ts';
import { Metrics } from '../../src/core/metrics.ts';
import type { KubeObject } from '../../src/core/object-key.ts';

const primaryRef = { apiVersion: 'example.com/v1', plural: 'widgets' };
const secondaryRef = { apiVersion: 'v1', plural: 'configmaps' };

function obj(namespace: string, name: string, labels?: Record<string, string>): KubeObject {
  return { metadata: { namespace, name, ...(labels ? { labels } : {}) } };
}

/** A reconciler that records calls (with the fake time) and answers from a script per call. */
class ScriptedReconciler {
  readonly calls: { key: string; at: number }[] = [];
  running = 0;
  maxRunning = 0;
  constructor(
    private readonly clock: FakeClock,
    private readonly answer: (
      key: string,
      call: number,
    ) => Promise<ReconcileOutcome | void> | ReconcileOutcome | void,
  ) {}
  async reconcile(key: string): Promise<ReconcileOutcome | void> {
    this.calls.push({ key, at: this.clock.now() });
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      return await this.answer(key, this.calls.filter((c) => c.key === key).length);
    } finally {
      this.running--;
    }
  }
  keys(): string[] {
    return this.calls.map((c) => c.key);
  }
}

function setup(
  answer: ConstructorParameters<typeof ScriptedReconciler>[1],
  initial: KubeObject[] = [obj('ns', 'w1')],
  concurrency = 1,
) {
  const clock = new FakeClock();
  const source = new FakeListWatch(initial);
  const informer = new Informer({
    resource: primaryRef,
    source,
    clock,
    resyncPeriodMs: 0,
    watchTimeoutSeconds: 600,
  });
  const reconciler = new ScriptedReconciler(clock, answer);
  const metrics = new Metrics();
  const controller = new Controller({ name: 'widgets', reconciler, clock, concurrency, metrics }).watch(
    informer,
  );
  return { clock, source, informer, reconciler, controller, metrics };
}

describe('Controller', () => {
  test('workers start only after every watched informer has synced', async () => {
    const { clock, source, informer, reconciler, controller } = setup(() => {});
    source.listError = new Error('API server unavailable');
    const started = controller.start();
    informer.start();
    await settle();
    assert.deepEqual(reconciler.calls, []);

    source.listError = undefined;
    await clock.advance(1000);
    await started;
    await settle();
    assert.deepEqual(reconciler.keys(), ['ns/w1']);
    await controller.stop();
    informer.stop();
  });

  test('an error retries the key with exponential backoff; success forgets it', async () => {
    const { clock, informer, reconciler, controller } = setup((_key, call) => {
      if (call <= 3) throw new Error(`failure ${call}`);
    });
    informer.start();
    await controller.start();
    await settle();
    await clock.advance(1000);
    assert.deepEqual(
      reconciler.calls.map((c) => c.at),
      [0, 5, 15, 35],
      'retried after 5, 10 and 20 ms',
    );
    assert.equal(reconciler.calls.length, 4, 'no retry after the success');
    await controller.stop();
    informer.stop();
  });

  test('requeueAfterMs brings the key back after that long, and only then', async () => {
    const { clock, informer, reconciler, controller } = setup(() => ({ requeueAfterMs: 60_000 }));
    informer.start();
    await controller.start();
    await settle();
    assert.equal(reconciler.calls.length, 1);
    await clock.advance(59_999);
    assert.equal(reconciler.calls.length, 1);
    await clock.advance(1);
    assert.deepEqual(
      reconciler.calls.map((c) => c.at),
      [0, 60_000],
    );
    await controller.stop();
    informer.stop();
  });

  test('a key is never reconciled twice at once; events during a reconcile cause one more run', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { source, informer, reconciler, controller } = setup(
      async (key, call) => {
        if (key === 'ns/w1' && call === 1) await gate;
      },
      [obj('ns', 'w1'), obj('ns', 'w2')],
      4,
    );
    informer.start();
    await controller.start();
    await settle();
    for (let i = 0; i < 3; i++) source.apply('MODIFIED', obj('ns', 'w1', { n: String(i) }));
    await settle();
    assert.deepEqual(reconciler.keys().sort(), ['ns/w1', 'ns/w2']);
    release();
    await settle();
    assert.deepEqual(reconciler.keys(), ['ns/w1', 'ns/w2', 'ns/w1']);
    assert.equal(reconciler.maxRunning, 2, 'w1 and w2 ran in parallel, w1 never twice');
    await controller.stop();
    informer.stop();
  });

  test('secondary objects are mapped to primary keys, on update from both old and new object', async () => {
    const clock = new FakeClock();
    const primaries = new Informer({ resource: primaryRef, source: new FakeListWatch(), clock });
    const secondarySource = new FakeListWatch([
      obj('velero', 's1', { 'owner-ns': 'team-a', 'owner-name': 'w1' }),
    ]);
    const secondaries = new Informer({ resource: secondaryRef, source: secondarySource, clock });
    const reconciler = new ScriptedReconciler(clock, () => {});
    const controller = new Controller({ name: 'widgets', reconciler, clock })
      .watch(primaries)
      .watch(secondaries, keyFromLabels('owner-ns', 'owner-name'));
    primaries.start();
    secondaries.start();
    await controller.start();
    await settle();
    assert.deepEqual(reconciler.keys(), ['team-a/w1']);

    secondarySource.apply('MODIFIED', obj('velero', 's1', { 'owner-ns': 'team-b', 'owner-name': 'w2' }));
    await settle();
    assert.deepEqual(reconciler.keys().slice(1).sort(), ['team-a/w1', 'team-b/w2']);

    secondarySource.apply('ADDED', obj('velero', 'unowned'));
    await settle();
    assert.equal(reconciler.calls.length, 3, 'objects without owner labels map to nothing');
    await controller.stop();
    primaries.stop();
    secondaries.stop();
  });

  test('stop lets the reconcile in flight finish and starts no new one', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let finished = false;
    const { source, informer, reconciler, controller } = setup(async (_key, call) => {
      if (call === 1) {
        await gate;
        finished = true;
      }
    });
    informer.start();
    await controller.start();
    await settle();
    source.apply('MODIFIED', obj('ns', 'w1', { changed: 'yes' }));
    let stopped = false;
    const stopping = controller.stop().then(() => (stopped = true));
    await settle();
    assert.equal(stopped, false, 'stop waits for the reconcile in flight');
    release();
    await stopping;
    assert.equal(finished, true);
    assert.equal(reconciler.calls.length, 1, 'the re-add during the reconcile was not run after stop');
    informer.stop();
  });

  test('reconcile results and queue activity show in the metrics', async () => {
    const { clock, informer, controller, metrics } = setup((_key, call) => {
      if (call === 1) throw new Error('first try fails');
      return { requeueAfterMs: 10_000 };
    });
    informer.start();
    await controller.start();
    await settle();
    await clock.advance(10);
    await controller.stop();
    informer.stop();
    const text = await metrics.registry.metrics();
    assert.match(text, /controller_runtime_reconcile_total\{controller="widgets",result="error"\} 1/);
    assert.match(text, /controller_runtime_reconcile_total\{controller="widgets",result="requeue_after"\} 1/);
    assert.match(text, /controller_runtime_reconcile_errors_total\{controller="widgets"\} 1/);
    assert.match(text, /controller_runtime_max_concurrent_reconciles\{controller="widgets"\} 1/);
    assert.match(text, /workqueue_retries_total\{controller="widgets",name="widgets"\} 1/);
    assert.match(text, /workqueue_adds_total\{controller="widgets",name="widgets"\} 2/);
  });

  test('updates that do not matter enqueue nothing; adds, deletes and resyncs still do', async () => {
    const clock = new FakeClock();
    const primaries = new Informer({ resource: primaryRef, source: new FakeListWatch(), clock });
    const secondarySource = new FakeListWatch([obj('velero', 's1', { phase: 'Available' })]);
    const secondaries = new Informer({
      resource: secondaryRef,
      source: secondarySource,
      clock,
      resyncPeriodMs: 60_000,
    });
    const reconciler = new ScriptedReconciler(clock, () => {});
    const controller = new Controller({ name: 'widgets', reconciler, clock })
      .watch(primaries)
      .watch(secondaries, () => 'team-a/w1', {
        updateMatters: (a, b) => a.metadata?.labels?.phase !== b.metadata?.labels?.phase,
      });
    primaries.start();
    secondaries.start();
    await controller.start();
    // Whether a change enqueued anything: the number of reconciles it caused.
    const reconcilesAfter = async (change: () => unknown): Promise<number> => {
      const before = reconciler.calls.length;
      await change();
      await settle();
      return reconciler.calls.length - before;
    };
    assert.equal(reconciler.calls.length, 1, 'the add');
    const touch = () => obj('velero', 's1', { phase: 'Available', validated: 'again' });
    assert.equal(await reconcilesAfter(() => secondarySource.apply('MODIFIED', touch())), 0);
    const flip = () => obj('velero', 's1', { phase: 'Unavailable' });
    assert.ok((await reconcilesAfter(() => secondarySource.apply('MODIFIED', flip()))) > 0);
    assert.ok((await reconcilesAfter(() => clock.advance(60_000))) > 0, 'the resync');
    const gone = () => obj('velero', 's1');
    assert.ok((await reconcilesAfter(() => secondarySource.apply('DELETED', gone()))) > 0);
    await controller.stop();
    primaries.stop();
    secondaries.stop();
  });

  test('workers yield the event loop between reconciles, also when these do no I/O', async () => {
    const initial = Array.from({ length: 50 }, (_, i) => obj('ns', `w${i}`));
    const { informer, reconciler, controller } = setup(() => {}, initial);
    informer.start();
    await controller.start();
    let seenByOtherWork: number | undefined;
    setImmediate(() => (seenByOtherWork = reconciler.calls.length));
    await settle();
    while (reconciler.calls.length < initial.length) await settle();
    assert.ok(
      seenByOtherWork !== undefined && seenByOtherWork < initial.length,
      `a callback queued behind the reconciles ran after ${seenByOtherWork} of ${initial.length}`,
    );
    await controller.stop();
    informer.stop();
  });
});
