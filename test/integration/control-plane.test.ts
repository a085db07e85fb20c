// Proves that the test control plane is a real Kubernetes API server: every later integration test
// relies on these properties.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  VersionApi,
  Watch,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '../harness/control-plane.ts';
import { waitFor } from '../harness/wait.ts';
import { apiStatus } from '../harness/api-errors.ts';

const exec = promisify(execFile);
let cp: ControlPlane;

before(async () => {
  cp = await startControlPlane();
});
after(async () => {
  await cp?.stop();
});

function veleroBackup(onError: string) {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name: `hooks-${onError.toLowerCase()}`, namespace: 'velero' },
    spec: {
      includedNamespaces: ['app'],
      hooks: {
        resources: [
          {
            name: 'db',
            includedNamespaces: ['app'],
            labelSelector: { matchLabels: { app: 'db' } },
            pre: [{ exec: { container: 'db', command: ['/bin/sh', '-c', 'sync'], onError, timeout: '30s' } }],
          },
        ],
      },
    },
  };
}

test('the API server reports the version stamped at build time', async () => {
  const version = await cp.kubeConfig.makeApiClient(VersionApi).getCode();
  assert.match(version.gitVersion, /^v1\.(3[5-9]|[4-9]\d)\.\d+$/);
  assert.equal(version.major, '1');
  assert.equal(version.gitTreeState, 'clean');
});

test('a namespace is created and its deletion completes (the controller manager runs)', async () => {
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
  await core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'content' } } });
  await core.deleteNamespace({ name: 'doomed' });
  await waitFor(
    async () => {
      try {
        await core.readNamespace({ name: 'doomed' });
        return false;
      } catch (err) {
        return err instanceof ApiException && err.code === 404;
      }
    },
    { what: 'namespace doomed to be gone', timeoutMs: 60_000 },
  );
});

test('the Velero CRDs are Established and validate Backups with their real schema', async () => {
  const ext = cp.kubeConfig.makeApiClient(ApiextensionsV1Api);
  for (const name of ['backups.velero.io', 'schedules.velero.io', 'backupstoragelocations.velero.io']) {
    const crd = await ext.readCustomResourceDefinition({ name });
    const established = crd.status?.conditions?.find((c) => c.type === 'Established');
    assert.equal(established?.status, 'True', `${name} Established`);
  }
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'velero' } } });
  const custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
  const create = (body: object) =>
    custom.createNamespacedCustomObject({
      group: 'velero.io',
      version: 'v1',
      namespace: 'velero',
      plural: 'backups',
      body,
    });

  const accepted = (await create(veleroBackup('Fail'))) as { metadata: { uid: string } };
  assert.ok(accepted.metadata.uid);
  await assert.rejects(create(veleroBackup('Maybe')), (err: unknown) => {
    const { code, message } = apiStatus(err);
    assert.equal(code, 422);
    assert.match(message, /spec\.hooks\.resources\[0\]\.pre\[0\]\.exec\.onError: Unsupported value: "Maybe"/);
    return true;
  });
});

test('server-side apply records its field manager and merges a second apply', async () => {
  const objects = KubernetesObjectApi.makeApiClient(cp.kubeConfig);
  const cm = (data: Record<string, string>): V1ConfigMap => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'applied', namespace: 'default' },
    data,
  });
  await objects.patch(cm({ a: '1' }), undefined, undefined, 'first', false, PatchStrategy.ServerSideApply);
  const live = await objects.patch(
    cm({ a: '2' }),
    undefined,
    undefined,
    'first',
    false,
    PatchStrategy.ServerSideApply,
  );
  assert.deepEqual(live.data, { a: '2' });
  assert.deepEqual(
    live.metadata?.managedFields?.map((f) => [f.manager, f.operation]),
    [['first', 'Apply']],
  );
});

test('a watch sees an event for an object created after it started', async () => {
  const seen: string[] = [];
  const watch = new Watch(cp.kubeConfig);
  const req = await watch.watch(
    '/api/v1/namespaces/default/configmaps',
    {},
    (phase: string, obj: V1ConfigMap) => seen.push(`${phase} ${obj.metadata?.name}`),
    () => undefined,
  );
  try {
    await cp.kubeConfig
      .makeApiClient(CoreV1Api)
      .createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'watched' } } });
    await waitFor(() => seen.includes('ADDED watched'), { what: 'the ADDED event of watched' });
  } finally {
    req.abort();
  }
});

test('a minted non-admin identity is refused (403) where RBAC grants it nothing', async () => {
  const { kubeConfig } = await cp.mintUser('tenant-a', ['tenants']);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await assert.rejects(core.listNamespacedConfigMap({ namespace: 'default' }), (err: unknown) => {
    const { code, message } = apiStatus(err);
    assert.equal(code, 403);
    assert.match(message, /User "tenant-a" cannot list resource "configmaps"/);
    return true;
  });
});

test('kubectl works against the generated admin kubeconfig', async () => {
  const { stdout } = await exec('kubectl', [
    '--kubeconfig',
    cp.kubeconfigPath,
    'get',
    'namespace',
    'default',
    '-o',
    'name',
  ]);
  assert.equal(stdout.trim(), 'namespace/default');
  const { stdout: who } = await exec('kubectl', [
    '--kubeconfig',
    cp.kubeconfigPath,
    'auth',
    'whoami',
    '-o',
    'jsonpath={.status.userInfo.groups}',
  ]);
  assert.match(who, /system:masters/);
});

test('identities minted at the same time each get a valid certificate', async () => {
  const names = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
  const users = await Promise.all(names.map((n) => cp.mintUser(n)));
  const who = await Promise.all(
    users.map(async ({ kubeConfig }) => {
      try {
        await kubeConfig.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: 'default' });
        return 'allowed';
      } catch (err) {
        return apiStatus(err).message.match(/User "(\w+)"/)?.[1];
      }
    }),
  );
  assert.deepEqual(who, names);
});
