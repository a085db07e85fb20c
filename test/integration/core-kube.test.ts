// The controller core against a real kube-apiserver: informers through changes, API server restarts and
// dead connections; leader election on a real Lease; a manager with probes, metrics and Events.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoordinationV1Api, CoreV1Api, EventsV1Api, KubeConfig } from '@kubernetes/client-node';
import { Informer } from '../../src/core/informer.ts';
import { LeaderElector, kubeLeaseStore } from '../../src/core/leader-election.ts';
import { Manager } from '../../src/core/manager.ts';
import { Metrics } from '../../src/core/metrics.ts';
import { startControlPlane, type ControlPlane } from '../harness/control-plane.ts';
import { waitFor } from '../harness/wait.ts';

let cp: ControlPlane;
let core: CoreV1Api;
const proxies: TcpProxy[] = [];

before(async () => {
  cp = await startControlPlane({ installCrds: false, controllerManager: false });
  core = cp.kubeConfig.makeApiClient(CoreV1Api);
});
after(async () => {
  for (const p of proxies) p.close();
  await cp?.stop();
});

async function namespace(name: string): Promise<string> {
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

function configMap(
  ns: string,
  name: string,
  labels: Record<string, string> = {},
  data: Record<string, string> = {},
) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: ns, name, labels }, data };
}

/** Records `verb name` for each handler call. */
function record(informer: Informer): string[] {
  const seen: string[] = [];
  informer.addHandler({
    add: (o) => seen.push(`add ${o.metadata?.name}`),
    update: (o, n) => seen.push(`${o === n ? 'resync' : 'update'} ${n.metadata?.name}`),
    delete: (o) => seen.push(`delete ${o.metadata?.name}`),
  });
  return seen;
}

/**
 * A TCP proxy in front of the API server that can play a dead network: `freeze` stops forwarding on the
 * connections open now but keeps them open (a half-open connection, as after a silent network failure);
 * `blackhole` does the same to every later connection too.
 */
class TcpProxy {
  private readonly server: net.Server;
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  private blackholed = false;

  private constructor(server: net.Server) {
    this.server = server;
  }

  static async start(target: URL): Promise<TcpProxy> {
    const proxy: TcpProxy = new TcpProxy(
      net.createServer((client) => {
        const upstream = net.connect(Number(target.port), target.hostname);
        const pair: [net.Socket, net.Socket] = [client, upstream];
        proxy.pairs.add(pair);
        client.on('error', () => {});
        upstream.on('error', () => {});
        client.on('close', () => {
          upstream.destroy();
          proxy.pairs.delete(pair);
        });
        upstream.on('close', () => client.destroy());
        if (proxy.blackholed) return;
        client.pipe(upstream);
        upstream.pipe(client);
      }),
    );
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxies.push(proxy);
    return proxy;
  }

  get url(): string {
    return `https://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  /** A kubeconfig like `kc` whose requests go through this proxy. */
  kubeConfig(kc: KubeConfig): KubeConfig {
    const proxied = new KubeConfig();
    proxied.loadFromOptions({
      clusters: kc.clusters.map((c) => ({ ...c, server: this.url })),
      users: kc.users,
      contexts: kc.contexts,
      currentContext: kc.currentContext,
    });
    return proxied;
  }

  freeze(): void {
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  blackhole(): void {
    this.blackholed = true;
    this.freeze();
  }

  close(): void {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.server.close();
  }
}

describe('Informer against a real API server', () => {
  test('sees add, update and delete, scoped to its namespace and label selector', async () => {
    const ns = await namespace('informer-scope');
    await namespace('informer-other');
    const informer = new Informer({
      resource: { apiVersion: 'v1', plural: 'configmaps', namespace: ns },
      labelSelector: 'core-test=yes',
      kubeConfig: cp.kubeConfig,
    });
    const seen = record(informer);
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: configMap(ns, 'before', { 'core-test': 'yes' }),
    });
    informer.start();
    try {
      assert.equal(await informer.waitForSync(), true);
      assert.deepEqual(seen, ['add before']);
      assert.equal(informer.get(`${ns}/before`)?.kind, 'ConfigMap', 'listed objects carry their kind');

      await core.createNamespacedConfigMap({
        namespace: ns,
        body: configMap(ns, 'cm', { 'core-test': 'yes' }),
      });
      await core.createNamespacedConfigMap({ namespace: ns, body: configMap(ns, 'unlabelled') });
      await core.createNamespacedConfigMap({
        namespace: 'informer-other',
        body: configMap('informer-other', 'elsewhere', { 'core-test': 'yes' }),
      });
      await waitFor(() => seen.includes('add cm'), { what: 'the add' });
      await core.replaceNamespacedConfigMap({
        name: 'cm',
        namespace: ns,
        body: configMap(ns, 'cm', { 'core-test': 'yes' }, { changed: 'yes' }),
      });
      await waitFor(() => seen.includes('update cm'), { what: 'the update' });
      assert.deepEqual((informer.get(`${ns}/cm`) as { data?: object }).data, { changed: 'yes' });
      await core.deleteNamespacedConfigMap({ name: 'cm', namespace: ns });
      await waitFor(() => seen.includes('delete cm'), { what: 'the delete' });

      assert.deepEqual(seen, ['add before', 'add cm', 'update cm', 'delete cm']);
      assert.deepEqual(informer.keys(), [`${ns}/before`]);
    } finally {
      informer.stop();
    }
  });

  test('keeps watching across server-side watch timeouts', async () => {
    const ns = await namespace('informer-timeout');
    const informer = new Informer({
      resource: { apiVersion: 'v1', plural: 'configmaps', namespace: ns },
      kubeConfig: cp.kubeConfig,
      watchTimeoutSeconds: 1,
    });
    const seen = record(informer);
    informer.start();
    try {
      await informer.waitForSync();
      await sleep(3_500); // several watches end by timeout meanwhile
      await core.createNamespacedConfigMap({ namespace: ns, body: configMap(ns, 'late') });
      await waitFor(() => seen.includes('add late'), { what: 'an add after several watch timeouts' });
      assert.deepEqual(seen, ['add late'], 'resuming a watch does not replay or relist');
    } finally {
      informer.stop();
    }
  });

  test('replaces a watch whose connection went silent', async () => {
    const ns = await namespace('informer-silent');
    const proxy = await TcpProxy.start(new URL(cp.server));
    const informer = new Informer({
      resource: { apiVersion: 'v1', plural: 'configmaps', namespace: ns },
      kubeConfig: proxy.kubeConfig(cp.kubeConfig),
      watchTimeoutSeconds: 2,
    });
    const seen = record(informer);
    informer.start();
    try {
      await informer.waitForSync();
      await sleep(500); // let the watch connect
      proxy.freeze(); // the watch's connection stays open but carries nothing more
      await core.createNamespacedConfigMap({ namespace: ns, body: configMap(ns, 'while-silent') });
      await waitFor(() => seen.includes('add while-silent'), { what: 'the add, through a new watch' });
    } finally {
      informer.stop();
      proxy.close();
    }
  });

  test('recovers after the API server restarts and sees objects created afterwards', async () => {
    const ns = await namespace('informer-restart');
    const informer = new Informer({
      resource: { apiVersion: 'v1', plural: 'configmaps', namespace: ns },
      kubeConfig: cp.kubeConfig,
    });
    const seen = record(informer);
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap(ns, 'before-restart') });
    informer.start();
    try {
      await informer.waitForSync();
      await cp.restartApiServer();
      await core.createNamespacedConfigMap({ namespace: ns, body: configMap(ns, 'after-restart') });
      await waitFor(() => seen.includes('add after-restart'), {
        what: 'the add after the restart',
        timeoutMs: 90_000,
      });
      assert.equal(
        seen.filter((s) => s === 'add before-restart').length,
        1,
        'no duplicate add for a known object',
      );
    } finally {
      informer.stop();
    }
  });
});

describe('Leader election on a real Lease', () => {
  // Shorter than production (15/10/2 s) to keep the test quick; the margins keep the same proportions.
  const timing = { leaseDurationMs: 6_000, renewDeadlineMs: 3_000, retryPeriodMs: 500 };

  function candidate(kc: KubeConfig, lease: string, identity: string, log: string[]): LeaderElector {
    return new LeaderElector({
      identity,
      lease: kubeLeaseStore(kc, 'default', lease),
      ...timing,
      onStartedLeading: () => log.push(`${identity} leads`),
      onStoppedLeading: () => log.push(`${identity} lost`),
    });
  }

  async function holder(lease: string): Promise<string | undefined> {
    const coordination = cp.kubeConfig.makeApiClient(CoordinationV1Api);
    return (await coordination.readNamespacedLease({ name: lease, namespace: 'default' })).spec
      ?.holderIdentity;
  }

  test('two candidates: one leads; stopping it releases the lease and the other takes over', async () => {
    const log: string[] = [];
    const a = candidate(cp.kubeConfig, 'two-candidates', 'a', log);
    const b = candidate(cp.kubeConfig, 'two-candidates', 'b', log);
    a.start();
    b.start();
    try {
      const leader = await waitFor(() => (a.isLeader() ? a : b.isLeader() ? b : undefined), {
        what: 'a leader',
      });
      const [first, second] = leader === a ? ['a', 'b'] : ['b', 'a'];
      for (let i = 0; i < 20; i++) {
        assert.ok(!(a.isLeader() && b.isLeader()), 'never two leaders');
        await sleep(150);
      }
      assert.equal(await holder('two-candidates'), first);

      await leader.stop();
      assert.notEqual(await holder('two-candidates'), first, 'the stopped leader no longer holds the lease');
      const other = leader === a ? b : a;
      await waitFor(() => other.isLeader(), { what: 'the other candidate to lead' });
      assert.equal(await holder('two-candidates'), second);
      assert.deepEqual(log, [`${first} leads`, `${second} leads`]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  test('a graceful stop clears holderIdentity', async () => {
    const log: string[] = [];
    const a = candidate(cp.kubeConfig, 'release', 'a', log);
    a.start();
    await waitFor(() => a.isLeader(), { what: 'leadership' });
    assert.equal(await holder('release'), 'a');
    await a.stop();
    assert.equal(await holder('release'), undefined);
  });

  test('a leader cut off from the API server loses leadership and the standby takes over', async () => {
    const proxy = await TcpProxy.start(new URL(cp.server));
    const log: string[] = [];
    const a = candidate(proxy.kubeConfig(cp.kubeConfig), 'partition', 'a', log);
    const b = candidate(cp.kubeConfig, 'partition', 'b', log);
    a.start();
    try {
      await waitFor(() => a.isLeader(), { what: 'a to lead' });
      b.start();
      await sleep(1_000);
      proxy.blackhole();
      await waitFor(() => b.isLeader(), { what: 'b to take over', timeoutMs: 60_000 });
      assert.equal(a.isLeader(), false);
      // a gives up at its renew deadline, before the lease can expire for b.
      assert.deepEqual(log, ['a leads', 'a lost', 'b leads']);
    } finally {
      proxy.close();
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe('Manager', () => {
  test('probes, metrics, events; only the leader reconciles; stop releases the lease', async () => {
    const ns = await namespace('manager');
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap(ns, 'existing') });
    const reconciled: { manager: string; key: string }[] = [];

    const managers = ['one', 'two'].map((name) => {
      const manager = new Manager({
        kubeConfig: cp.kubeConfig,
        metricsBindAddress: '127.0.0.1:0',
        healthProbeBindAddress: '127.0.0.1:0',
        leaderElection: {
          namespace: 'default',
          leaseName: 'manager-test',
          identity: name,
          leaseDurationMs: 6_000,
          renewDeadlineMs: 3_000,
          retryPeriodMs: 500,
        },
        metrics: new Metrics(),
      });
      const informer = manager.informer({
        resource: { apiVersion: 'v1', plural: 'configmaps', namespace: ns },
      });
      const events = manager.eventRecorder('example.com/core-test');
      manager
        .controller({
          name: 'configmaps',
          reconciler: {
            reconcile(key) {
              reconciled.push({ manager: name, key });
              const obj = informer.get(key);
              if (obj)
                events.event(obj, {
                  type: 'Normal',
                  reason: 'Seen',
                  action: 'Reconcile',
                  note: `seen by ${name}`,
                });
              return Promise.resolve();
            },
          },
        })
        .watch(informer);
      return manager;
    });

    const [one, two] = managers as [Manager, Manager];
    await one.start();
    try {
      await waitFor(() => one.isLeader(), { what: 'manager one to lead' });
      await two.start();
      const { metrics: metricsPort, probes: probePort } = one.ports();
      await waitFor(async () => (await fetch(`http://127.0.0.1:${probePort}/readyz`)).ok, {
        what: 'one ready',
      });
      const twoProbe = two.ports().probes;
      await waitFor(async () => (await fetch(`http://127.0.0.1:${twoProbe}/readyz`)).ok, {
        what: 'the standby ready too',
      });
      assert.equal((await fetch(`http://127.0.0.1:${probePort}/healthz`)).status, 200);

      await waitFor(() => reconciled.some((r) => r.key === `${ns}/existing`), {
        what: 'the existing object reconciled',
      });
      await core.createNamespacedConfigMap({ namespace: ns, body: configMap(ns, 'created') });
      await waitFor(() => reconciled.some((r) => r.key === `${ns}/created`), {
        what: 'the new object reconciled',
      });
      assert.ok(
        reconciled.every((r) => r.manager === 'one'),
        'only the leader reconciles',
      );

      const eventsApi = cp.kubeConfig.makeApiClient(EventsV1Api);
      const recorded = await waitFor(
        async () => {
          const list = await eventsApi.listNamespacedEvent({ namespace: ns });
          return list.items.length >= 2 ? list.items : undefined;
        },
        { what: 'Events about both objects' },
      );
      assert.ok(
        recorded.every((e) => e.reportingController === 'example.com/core-test' && e.reason === 'Seen'),
      );
      assert.ok(recorded.every((e) => e.reportingInstance === 'one'));

      const scraped = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      assert.match(
        scraped,
        /controller_runtime_reconcile_total\{controller="configmaps",result="success"\} [1-9]/,
      );
      assert.match(scraped, /leader_election_master_status\{name="manager-test"\} 1/);

      await one.stop();
      const coordination = cp.kubeConfig.makeApiClient(CoordinationV1Api);
      const lease = await coordination.readNamespacedLease({ name: 'manager-test', namespace: 'default' });
      assert.notEqual(lease.spec?.holderIdentity, 'one', 'the lease was released on stop');

      await waitFor(() => two.isLeader(), { what: 'manager two to take over' });
      await core.createNamespacedConfigMap({ namespace: ns, body: configMap(ns, 'after-failover') });
      await waitFor(() => reconciled.some((r) => r.manager === 'two' && r.key === `${ns}/after-failover`), {
        what: 'the new leader to reconcile',
      });
    } finally {
      await Promise.all(managers.map((m) => m.stop()));
    }
  });
});
