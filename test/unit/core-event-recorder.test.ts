import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EventRecorder, type EventSink } from '../../src/core/event-recorder.ts';
import { FakeClock } from '../../src/core/fake-clock.ts';
import { KubeApiError } from '../../src/core/kube-rest.ts';

const widget = {
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { namespace: 'team-a', name: 'w1', uid: 'uid-1', resourceVersion: '7' },
};

class MemorySink implements EventSink {
  readonly events: { namespace: string; event: Record<string, unknown> }[] = [];
  failWith: Error | undefined;
  create(namespace: string, event: unknown): Promise<void> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.events.push({ namespace, event: event as Record<string, unknown> });
    return Promise.resolve();
  }
}

function setup(): { clock: FakeClock; sink: MemorySink; recorder: EventRecorder } {
  const clock = new FakeClock();
  const sink = new MemorySink();
  const recorder = new EventRecorder({
    reportingController: 'example.com/widget-controller',
    reportingInstance: 'pod-1',
    sink,
    clock,
    dedupeWindowMs: 60_000,
  });
  return { clock, sink, recorder };
}

const failed = { type: 'Warning', reason: 'BackendFailed', action: 'Sync', note: 'backend said no' } as const;

describe('EventRecorder', () => {
  test('writes an events.k8s.io/v1 Event in the object namespace with a full reference', async () => {
    const { sink, recorder } = setup();
    recorder.event(widget, failed);
    await recorder.flush();
    assert.equal(sink.events.length, 1);
    const { namespace, event } = sink.events[0]!;
    assert.equal(namespace, 'team-a');
    assert.equal(event.apiVersion, 'events.k8s.io/v1');
    assert.equal(event.kind, 'Event');
    assert.match(String((event.metadata as { name: string }).name), /^w1\.[0-9a-f]+$/);
    assert.match(String(event.eventTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(event.reportingController, 'example.com/widget-controller');
    assert.equal(event.reportingInstance, 'pod-1');
    assert.equal(event.type, 'Warning');
    assert.equal(event.reason, 'BackendFailed');
    assert.equal(event.action, 'Sync');
    assert.equal(event.note, 'backend said no');
    assert.deepEqual(event.regarding, {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      name: 'w1',
      namespace: 'team-a',
      uid: 'uid-1',
      resourceVersion: '7',
    });
  });

  test('the same event within the window is written once; after the window again', async () => {
    const { clock, sink, recorder } = setup();
    for (let i = 0; i < 50; i++) recorder.event(widget, failed);
    recorder.event(widget, { ...failed, note: 'a different note' });
    await recorder.flush();
    assert.equal(sink.events.length, 2);
    await clock.advance(60_000);
    recorder.event(widget, failed);
    await recorder.flush();
    assert.equal(sink.events.length, 3);
  });

  test('a failed write never throws, and the event is tried again on the next occasion', async () => {
    const { sink, recorder } = setup();
    sink.failWith = new KubeApiError(403, 'Forbidden', 'events.events.k8s.io is forbidden');
    assert.doesNotThrow(() => recorder.event(widget, failed));
    await recorder.flush();
    assert.equal(sink.events.length, 0);
    sink.failWith = undefined;
    recorder.event(widget, failed);
    await recorder.flush();
    assert.equal(sink.events.length, 1);
  });

  test('notes are cut to the API limit of 1 kB, at a character boundary', async () => {
    const { sink, recorder } = setup();
    recorder.event(widget, { ...failed, note: 'é'.repeat(2000) });
    await recorder.flush();
    const note = String(sink.events[0]?.event.note);
    assert.ok(Buffer.byteLength(note) <= 1024);
    assert.ok(note.endsWith('...'));
    assert.ok(!note.includes('\uFFFD'));
  });

  test('events about cluster-scoped objects go to the default namespace', async () => {
    const { sink, recorder } = setup();
    recorder.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'u' } }, failed);
    await recorder.flush();
    assert.equal(sink.events[0]?.namespace, 'default');
  });
});
