import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HttpServer, parseBindAddress } from '../../src/core/http-server.ts';
import { Metrics } from '../../src/core/metrics.ts';

describe('Metrics', () => {
  test("exposes controller-runtime's and client-go's metric names, plus leader status", async () => {
    const metrics = new Metrics();
    metrics.queue('widgets');
    metrics.controller('widgets');
    metrics.leader('widget-operator', true);
    const text = await metrics.registry.metrics();
    const names = [
      'controller_runtime_reconcile_total',
      'controller_runtime_reconcile_errors_total',
      'controller_runtime_reconcile_time_seconds',
      'controller_runtime_max_concurrent_reconciles',
      'controller_runtime_active_workers',
      'workqueue_depth',
      'workqueue_adds_total',
      'workqueue_retries_total',
      'workqueue_queue_duration_seconds',
      'workqueue_work_duration_seconds',
      'workqueue_longest_running_processor_seconds',
      'workqueue_unfinished_work_seconds',
      'leader_election_master_status',
    ];
    for (const name of names) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    assert.match(text, /leader_election_master_status\{name="widget-operator"\} 1/);
    for (const result of ['success', 'error', 'requeue', 'requeue_after']) {
      assert.match(
        text,
        new RegExp(`controller_runtime_reconcile_total\\{controller="widgets",result="${result}"\\} 0`),
      );
    }
  });

  test('in-flight gauges are computed when scraped', async () => {
    const metrics = new Metrics();
    const queue = metrics.queue('q');
    queue.observeInFlight(() => ({ longestRunningSeconds: 3, unfinishedSeconds: 5 }));
    const text = await metrics.registry.metrics();
    assert.match(text, /workqueue_longest_running_processor_seconds\{controller="q",name="q"\} 3/);
    assert.match(text, /workqueue_unfinished_work_seconds\{controller="q",name="q"\} 5/);
  });

  test('each Metrics has its own registry, so several can coexist', async () => {
    const one = new Metrics();
    const two = new Metrics();
    one.leader('x', true);
    two.leader('x', false);
    assert.match(await one.registry.metrics(), /leader_election_master_status\{name="x"\} 1/);
    assert.match(await two.registry.metrics(), /leader_election_master_status\{name="x"\} 0/);
  });
});

describe('HttpServer', () => {
  test('serves /healthz, /readyz (following the check) and /metrics', async () => {
    const metrics = new Metrics();
    metrics.leader('lease', false);
    let ready = false;
    const server = new HttpServer({
      host: '127.0.0.1',
      port: 0,
      metrics: metrics.registry,
      probes: {
        healthz: () => ({ ok: true }),
        readyz: () => (ready ? { ok: true } : { ok: false, reason: 'informers not synced: widgets' }),
      },
    });
    await server.start();
    try {
      const base = `http://127.0.0.1:${server.port}`;
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      const notReady = await fetch(`${base}/readyz`);
      assert.equal(notReady.status, 503);
      assert.match(await notReady.text(), /informers not synced: widgets/);
      ready = true;
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      const scraped = await fetch(`${base}/metrics`);
      assert.equal(scraped.status, 200);
      assert.match(scraped.headers.get('content-type') ?? '', /text\/plain/);
      assert.match(await scraped.text(), /leader_election_master_status/);
      assert.equal((await fetch(`${base}/other`)).status, 404);
      assert.equal((await fetch(`${base}/healthz`, { method: 'POST' })).status, 405);
    } finally {
      await server.stop();
    }
  });

  test('a server without probes or metrics does not serve them', async () => {
    const server = new HttpServer({
      host: '127.0.0.1',
      port: 0,
      probes: { healthz: () => ({ ok: true }), readyz: () => ({ ok: true }) },
    });
    await server.start();
    try {
      assert.equal((await fetch(`http://127.0.0.1:${server.port}/metrics`)).status, 404);
    } finally {
      await server.stop();
    }
  });
});

describe('parseBindAddress', () => {
  const cases: [string, ReturnType<typeof parseBindAddress>][] = [
    [':8080', { host: '0.0.0.0', port: 8080 }],
    ['127.0.0.1:9443', { host: '127.0.0.1', port: 9443 }],
    ['[::1]:8081', { host: '::1', port: 8081 }],
    ['0', undefined],
  ];
  for (const [input, expected] of cases) {
    test(input, () => assert.deepEqual(parseBindAddress(input), expected));
  }
  for (const bad of ['8080', 'localhost', ':99999', '']) {
    test(`rejects "${bad}"`, () => assert.throws(() => parseBindAddress(bad), /invalid bind address/));
  }
});
