// A tenant who may manage ConsistentBackups in its own namespace only: hooks need its right to exec there,
// whatever it writes into a spec no backup and no hook reaches another namespace, its names cannot collide
// with another namespace's Velero objects, and its status and Events say nothing about other namespaces.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CustomObjectsApi,
  EventsV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { ConsistentBackup } from '../../src/api/consistent-backup.ts';
import type { VeleroBackup, VeleroSchedule } from '../../src/api/velero.ts';
import { createFakePod, ensureNamespace } from '../support/fake-pods.ts';
import { apiStatus } from '../harness/api-errors.ts';
import { OperatorTestbed } from '../harness/operator-testbed.ts';
import { waitFor } from '../harness/wait.ts';

let bed: OperatorTestbed;
/** alice: ConsistentBackups in team-a, no pods/exec. */
let tenant: CustomObjectsApi;
/** bob: the same plus pods/exec in team-a. */
let execTenant: CustomObjectsApi;

const cbk = { group: 'consistentbackup.io', version: 'v1alpha1', plural: 'consistentbackups' };

before(async () => {
  bed = await OperatorTestbed.start();
  for (const ns of ['team-a', 'team-b', 'team-a-x']) await ensureNamespace(bed.core, ns);
  // Pods with the same labels on both sides of the boundary.
  await createFakePod(bed.core, {
    namespace: 'team-a',
    name: 'db-a',
    labels: { app: 'db' },
    containers: ['db'],
  });
  await createFakePod(bed.core, {
    namespace: 'team-b',
    name: 'db-b-secret-name',
    labels: { app: 'db' },
    containers: ['db'],
  });
  const objects = KubernetesObjectApi.makeApiClient(bed.cp.kubeConfig);
  const rbac: KubernetesObject[] = [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'backup-owner', namespace: 'team-a' },
      rules: [{ apiGroups: ['consistentbackup.io'], resources: ['consistentbackups'], verbs: ['*'] }],
    } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'pod-exec', namespace: 'team-a' },
      rules: [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }],
    } as KubernetesObject,
    ...[
      ['alice', 'backup-owner'],
      ['bob', 'backup-owner'],
      ['bob', 'pod-exec'],
    ].map(
      ([user, role]) =>
        ({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: `${user}-${role}`, namespace: 'team-a' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
        }) as KubernetesObject,
    ),
  ];
  for (const obj of rbac)
    await objects.patch(obj, undefined, undefined, 'test', true, PatchStrategy.ServerSideApply);
  tenant = (await bed.cp.mintUser('alice', ['tenants'])).kubeConfig.makeApiClient(CustomObjectsApi);
  execTenant = (await bed.cp.mintUser('bob', ['tenants'])).kubeConfig.makeApiClient(CustomObjectsApi);
});
after(async () => {
  await bed?.stop();
});

function manifest(name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'consistentbackup.io/v1alpha1', kind: 'ConsistentBackup', metadata: { name }, spec };
}

const ready = (cr: ConsistentBackup) => cr.status?.conditions?.find((c) => c.type === 'Ready');

test('the tenant manages ConsistentBackups in its namespace only and cannot touch Velero objects', async () => {
  await tenant.createNamespacedCustomObject({
    ...cbk,
    namespace: 'team-a',
    body: manifest('probe', { schedule: '@daily' }),
  });
  await assert.rejects(
    tenant.createNamespacedCustomObject({
      ...cbk,
      namespace: 'team-b',
      body: manifest('probe', { schedule: '@daily' }),
    }),
    (err: unknown) => apiStatus(err).code === 403,
  );
  for (const plural of ['backups', 'schedules', 'deletebackuprequests']) {
    await assert.rejects(
      tenant.listNamespacedCustomObject({ group: 'velero.io', version: 'v1', namespace: 'velero', plural }),
      (err: unknown) => apiStatus(err).code === 403,
      `tenant reads velero ${plural}`,
    );
  }
});

test('whatever the spec selects, backups and hooks stay in the tenant namespace; status and Events name nothing foreign', async () => {
  const reachOut = manifest('reach-out', {
    schedule: '@daily',
    rpo: '48h',
    labelSelector: { matchLabels: { app: 'db' } },
    includedResources: ['pods', 'namespaces', 'secrets'],
    hooks: [
      {
        name: 'db',
        selector: { matchLabels: { app: 'db' } },
        container: 'db',
        pre: [{ command: ['sync'] }],
      },
    ],
  });
  // Without the right to exec into team-a's pods, the tenant cannot make Velero exec there either.
  await assert.rejects(
    tenant.createNamespacedCustomObject({ ...cbk, namespace: 'team-a', body: reachOut }),
    (err: unknown) => apiStatus(err).code === 403 && /create pods\/exec/.test(apiStatus(err).message),
  );
  await execTenant.createNamespacedCustomObject({ ...cbk, namespace: 'team-a', body: reachOut });
  const cr = await bed.waitForStatus('team-a', 'reach-out', 'Schedule made', (c) =>
    Boolean(c.status?.scheduleName),
  );
  const [schedule] = await bed.ownedBy<VeleroSchedule>('schedules', 'team-a', 'reach-out');
  assert.deepEqual(schedule?.spec.template.includedNamespaces, ['team-a']);
  assert.deepEqual(
    schedule?.spec.template.hooks?.resources?.map((r) => r.includedNamespaces),
    [['team-a']],
  );
  const backup = await waitFor(() => bed.standIn.runSchedule(cr.status?.scheduleName ?? ''), {
    what: 'a scheduled backup',
  });
  const done = await bed.waitForStatus(
    'team-a',
    'reach-out',
    'backup graded',
    (c) => c.status?.lastBackup?.name === backup.metadata.name && Boolean(c.status.lastBackup.consistency),
  );
  assert.deepEqual(
    bed.standIn.hookRuns(backup.metadata.name ?? '').map((r) => r.pod),
    ['team-a/db-a'],
    'Velero ran the hook in the tenant pod only',
  );
  assert.equal(done.status?.lastBackup?.consistency, 'AppConsistent');
  assert.doesNotMatch(JSON.stringify(done.status), /db-b-secret-name|team-b/);
  const events = await bed.cp.kubeConfig.makeApiClient(EventsV1Api).listNamespacedEvent({
    namespace: 'team-a',
  });
  assert.ok(events.items.length > 0, 'the operator reported Events to the tenant');
  assert.doesNotMatch(JSON.stringify(events.items), /db-b-secret-name|team-b/);
});

test('a Velero namespace or storage location outside the configuration is refused', async () => {
  await assert.rejects(
    tenant.createNamespacedCustomObject({
      ...cbk,
      namespace: 'team-a',
      body: manifest('other-bucket', { schedule: '@daily', velero: { storageLocation: 'attacker-bucket' } }),
    }),
    (err: unknown) => /spec\.velero\.storageLocation/.test(apiStatus(err).message),
  );
  await tenant.createNamespacedCustomObject({
    ...cbk,
    namespace: 'team-a',
    body: manifest('elsewhere', { schedule: '@daily', velero: { namespace: 'kube-system' } }),
  });
  const cr = await bed.waitForStatus(
    'team-a',
    'elsewhere',
    'Ready False',
    (c) => ready(c)?.status === 'False',
  );
  assert.equal(cr.status?.phase, 'Invalid');
  assert.match(ready(cr)?.message ?? '', /spec\.velero\.namespace/);
  assert.deepEqual(await bed.ownedBy('schedules', 'team-a', 'elsewhere'), []);
  const custom = bed.cp.kubeConfig.makeApiClient(CustomObjectsApi);
  const inKubeSystem = (await custom.listNamespacedCustomObject({
    group: 'velero.io',
    version: 'v1',
    namespace: 'kube-system',
    plural: 'schedules',
  })) as { items: VeleroSchedule[] };
  assert.deepEqual(inKubeSystem.items, []);
});

test("crafted names cannot collide with or overwrite another namespace's Velero objects", async () => {
  // "team-a" + "x-y" and "team-a-x" + "y" read the same when joined with a dash.
  const admin = bed.cp.kubeConfig.makeApiClient(CustomObjectsApi);
  await admin.createNamespacedCustomObject({
    ...cbk,
    namespace: 'team-a-x',
    body: manifest('y', { schedule: '0 3 * * *' }),
  });
  const theirs = await bed.waitForStatus('team-a-x', 'y', 'Schedule made', (c) =>
    Boolean(c.status?.scheduleName),
  );
  const [theirSchedule] = await bed.ownedBy<VeleroSchedule>('schedules', 'team-a-x', 'y');
  await tenant.createNamespacedCustomObject({
    ...cbk,
    namespace: 'team-a',
    body: manifest('x-y', { schedule: '0 4 * * *' }),
  });
  const mine = await bed.waitForStatus('team-a', 'x-y', 'Schedule made', (c) =>
    Boolean(c.status?.scheduleName),
  );
  assert.notEqual(mine.status?.scheduleName, theirs.status?.scheduleName);
  await tenant.patchNamespacedCustomObject({
    ...cbk,
    namespace: 'team-a',
    name: 'x-y',
    body: [{ op: 'replace', path: '/spec/schedule', value: '0 5 * * *' }],
  });
  await waitFor(
    async () =>
      (await bed.ownedBy<VeleroSchedule>('schedules', 'team-a', 'x-y'))[0]?.spec.schedule ===
      'CRON_TZ=UTC 0 5 * * *',
    { what: 'the tenant schedule to change' },
  );
  const [after] = await bed.ownedBy<VeleroSchedule>('schedules', 'team-a-x', 'y');
  assert.equal(
    after?.metadata.resourceVersion,
    theirSchedule?.metadata.resourceVersion,
    "the other namespace's Schedule is untouched",
  );
  assert.equal(after?.spec.schedule, 'CRON_TZ=UTC 0 3 * * *');
  const backups = await bed.ownedBy<VeleroBackup>('backups', 'team-b');
  assert.deepEqual(backups, []);
});
