// The admission policies of deploy/ on a real API server: what a tenant may declare in a ConsistentBackup
// (hooks need exec rights; deletion cannot be loosened; the cluster's limits) and what the operator's own
// service account may write to Velero (kubectl --as). Each attempt a reviewer would try is refused, each
// legitimate use is admitted, and both are counted.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { apiStatus } from '../harness/api-errors.ts';
import { startControlPlane, type ControlPlane } from '../harness/control-plane.ts';
import { impersonate, OPERATOR_USER, operatorKubeconfig } from '../harness/operator-identity.ts';
import { waitFor } from '../harness/wait.ts';
import type { ConsistentRestore, RestoreDrill } from '../../src/api/consistent-restore.ts';
import type { VeleroRestore } from '../../src/api/velero.ts';
import { drillRun, drillRunName } from '../../src/domain/restore/drill.ts';
import { restoreNames, scratchLabels } from '../../src/domain/restore/names.ts';
import { planRestore } from '../../src/domain/restore/velero-restore.ts';
import { ensureNamespace } from '../support/fake-pods.ts';

let cp: ControlPlane;
let admin: CustomObjectsApi;
/** May manage ConsistentBackups in team-a, and nothing else (no pods/exec). */
let alice: CustomObjectsApi;
/** The same, plus `create pods/exec` in team-a. */
let bob: CustomObjectsApi;
/** The same as bob, plus creating pods, Secrets, service accounts, Roles and RoleBindings in team-a. */
let carol: CustomObjectsApi;

const cbk = { group: 'consistentbackup.io', version: 'v1alpha1', plural: 'consistentbackups' };
const velero = (plural: string) => ({ group: 'velero.io', version: 'v1', namespace: 'velero', plural });
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const asOperator = impersonate(OPERATOR_USER);

const refused: string[] = [];
const admitted: string[] = [];

before(async () => {
  cp = await startControlPlane();
  await operatorKubeconfig(cp);
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  for (const ns of ['team-a', 'team-b', 'finance', 'velero']) await ensureNamespace(core, ns);
  const objects = KubernetesObjectApi.makeApiClient(cp.kubeConfig);
  const role = (name: string, rules: unknown[]) =>
    ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace: 'team-a' },
      rules,
    }) as KubernetesObject;
  const binding = (user: string, roleName: string) =>
    ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `${user}-${roleName}`, namespace: 'team-a' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    }) as KubernetesObject;
  for (const obj of [
    role('backup-owner', [
      {
        apiGroups: ['consistentbackup.io'],
        resources: ['consistentbackups', 'consistentrestores', 'restoredrills'],
        verbs: ['*'],
      },
    ]),
    role('pod-exec', [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }]),
    role('namespace-writer', [
      { apiGroups: [''], resources: ['pods', 'secrets', 'serviceaccounts'], verbs: ['create'] },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ['create'] },
    ]),
    binding('alice', 'backup-owner'),
    binding('bob', 'backup-owner'),
    binding('bob', 'pod-exec'),
    binding('carol', 'backup-owner'),
    binding('carol', 'pod-exec'),
    binding('carol', 'namespace-writer'),
  ])
    await objects.patch(obj, undefined, undefined, 'test', true, PatchStrategy.ServerSideApply);
  admin = cp.kubeConfig.makeApiClient(CustomObjectsApi);
  alice = (await cp.mintUser('alice', ['tenants'])).kubeConfig.makeApiClient(CustomObjectsApi);
  bob = (await cp.mintUser('bob', ['tenants'])).kubeConfig.makeApiClient(CustomObjectsApi);
  carol = (await cp.mintUser('carol', ['tenants'])).kubeConfig.makeApiClient(CustomObjectsApi);
});
after(async () => {
  console.log(`refused attempts: ${refused.length}\n  ${refused.join('\n  ')}`);
  console.log(`admitted legitimate uses: ${admitted.length}\n  ${admitted.join('\n  ')}`);
  await cp?.stop();
});

/** Asserts the call is refused (403 or 422) with a message matching each pattern, and counts it. */
async function refuse(what: string, call: Promise<unknown>, ...patterns: RegExp[]): Promise<string> {
  const message = await call.then(
    () => assert.fail(`admitted: ${what}`),
    (err: unknown) => {
      const status = apiStatus(err);
      assert.ok([403, 422].includes(status.code), `${what}: HTTP ${status.code} ${status.message}`);
      return status.message;
    },
  );
  for (const pattern of patterns) assert.match(message, pattern, what);
  refused.push(what);
  return message;
}

async function admit<T>(what: string, call: Promise<T>): Promise<T> {
  const result = await call;
  admitted.push(what);
  return result;
}

function cr(name: string, spec: Record<string, unknown>, annotations?: Record<string, string>) {
  return {
    apiVersion: 'consistentbackup.io/v1alpha1',
    kind: 'ConsistentBackup',
    metadata: { name, ...(annotations && { annotations }) },
    spec,
  };
}

const stealToken = {
  name: 'db',
  selector: { matchLabels: { app: 'db' } },
  container: 'db',
  pre: [{ command: ['/bin/sh', '-c', 'id; env; cat /var/run/secrets/kubernetes.io/serviceaccount/token'] }],
};
const checkpoint = {
  name: 'checkpoint',
  selector: { matchLabels: { app: 'db' } },
  container: 'postgres',
  preset: { name: 'postgresql' },
};

const create = (api: CustomObjectsApi, name: string, spec: Record<string, unknown>, dryRun = false) =>
  api.createNamespacedCustomObject({
    ...cbk,
    namespace: 'team-a',
    body: cr(name, spec),
    ...(dryRun && { dryRun: 'All' }),
  });
const patchSpec = (api: CustomObjectsApi, name: string, spec: Record<string, unknown>) =>
  api.patchNamespacedCustomObject({ ...cbk, namespace: 'team-a', name, body: { spec } }, merge);

const createAsOperator = (plural: string, body: object) =>
  admin.createNamespacedCustomObject({ ...velero(plural), body }, asOperator);

async function setPolicy(spec: Record<string, unknown>): Promise<void> {
  await admin.patchClusterCustomObject(
    {
      group: 'consistentbackup.io',
      version: 'v1alpha1',
      plural: 'consistentbackuppolicies',
      name: 'cluster',
      body: { spec },
    },
    merge,
  );
}

describe('hooks need the right to exec into the namespace', () => {
  test('a tenant without pods/exec cannot declare, add or change hooks', async () => {
    const message = await refuse(
      'tenant without exec creates a hook that reads the service account token',
      create(alice, 'shell', { schedule: '@daily', hooks: [stealToken] }),
      /create pods\/exec/,
      /namespace team-a/,
      /alice/,
    );
    assert.doesNotMatch(message, /team-b|finance/);
    await refuse(
      'the same as a server-side dry run',
      create(alice, 'shell', { schedule: '@daily', hooks: [stealToken] }, true),
      /pods\/exec/,
    );
    await refuse(
      'tenant without exec creates a preset hook',
      create(alice, 'preset', { schedule: '@daily', hooks: [checkpoint] }),
      /pods\/exec/,
    );
    await refuse(
      'tenant without exec creates an fsfreeze preset hook',
      create(alice, 'freeze', {
        hooks: [
          {
            name: 'fs',
            selector: { matchLabels: { app: 'db' } },
            container: 'fsfreeze',
            preset: { name: 'fsfreeze', parameters: { mountPath: '/data' } },
          },
        ],
      }),
      /pods\/exec/,
    );
    await admit('tenant without exec creates a ConsistentBackup without hooks', create(alice, 'plain', {}));
    await refuse(
      'tenant without exec adds a hook to its ConsistentBackup (merge patch)',
      patchSpec(alice, 'plain', { hooks: [stealToken] }),
      /pods\/exec/,
    );
    const current = (await alice.getNamespacedCustomObject({
      ...cbk,
      namespace: 'team-a',
      name: 'plain',
    })) as { spec: Record<string, unknown> };
    await refuse(
      'tenant without exec adds a hook by replacing the object (PUT)',
      alice.replaceNamespacedCustomObject({
        ...cbk,
        namespace: 'team-a',
        name: 'plain',
        body: { ...current, spec: { ...current.spec, hooks: [stealToken] } },
      }),
      /pods\/exec/,
    );
    await refuse(
      'tenant without exec adds a hook by server-side apply',
      alice.patchNamespacedCustomObject(
        {
          ...cbk,
          namespace: 'team-a',
          name: 'plain',
          body: cr('plain', { hooks: [stealToken] }),
          fieldManager: 'alice',
          force: true,
        },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      ),
      /pods\/exec/,
    );
  });

  test('a tenant with pods/exec may; one without may still use what the other wrote', async () => {
    await admit(
      'tenant with exec creates a hook',
      create(bob, 'db', { schedule: '@daily', hooks: [checkpoint] }),
    );
    await admit(
      'tenant with exec changes the hook',
      patchSpec(bob, 'db', { hooks: [{ ...checkpoint, preset: { name: 'postgresql', timeout: '2m' } }] }),
    );
    await refuse(
      "tenant without exec changes the other's hook command",
      patchSpec(alice, 'db', { hooks: [stealToken] }),
      /pods\/exec/,
    );
    await admit(
      'tenant without exec changes the schedule, hooks untouched',
      patchSpec(alice, 'db', { schedule: '0 3 * * *' }),
    );
    await admit(
      'tenant without exec asks for a run now',
      alice.patchNamespacedCustomObject(
        {
          ...cbk,
          namespace: 'team-a',
          name: 'db',
          body: { metadata: { annotations: { 'consistentbackup.io/run-now': 'r1' } } },
        },
        merge,
      ),
    );
    await admit('tenant without exec removes the hooks', patchSpec(alice, 'db', { hooks: null }));
  });
});

describe('deletion cannot be loosened', () => {
  test('Retain cannot become Delete, for anyone; Delete from creation and tightening are fine', async () => {
    await admit(
      'tenant creates with deletionPolicy Retain',
      create(alice, 'keep', { deletionPolicy: 'Retain' }),
    );
    await refuse(
      'tenant flips Retain to Delete',
      patchSpec(alice, 'keep', { deletionPolicy: 'Delete' }),
      /spec\.deletionPolicy cannot be changed from Retain to Delete/,
    );
    await refuse(
      'cluster admin flips Retain to Delete',
      patchSpec(admin, 'keep', { deletionPolicy: 'Delete' }),
      /spec\.deletionPolicy/,
    );
    await admit('tenant creates with the default (Retain)', create(alice, 'default-policy', {}));
    await refuse(
      'tenant flips the defaulted Retain to Delete',
      patchSpec(alice, 'default-policy', { deletionPolicy: 'Delete' }),
      /spec\.deletionPolicy/,
    );
    await admit(
      'tenant creates with deletionPolicy Delete',
      create(alice, 'scratch', { deletionPolicy: 'Delete' }),
    );
    await admit(
      'tenant tightens Delete to Retain',
      patchSpec(alice, 'scratch', { deletionPolicy: 'Retain' }),
    );
    await refuse(
      'tenant loosens it back to Delete',
      patchSpec(alice, 'scratch', { deletionPolicy: 'Delete' }),
      /spec\.deletionPolicy/,
    );
  });
});

describe("the cluster admin's limits", () => {
  test('locations are denied unless allowed; the default location only, by default', async () => {
    const message = await refuse(
      "tenant sends its backups to another team's bucket",
      create(alice, 'bucket', { velero: { storageLocation: 'someone-elses-bucket' } }),
      /spec\.velero\.storageLocation/,
      /spec\.allowedStorageLocations/,
      /"cluster"/,
    );
    assert.doesNotMatch(message, /someone-elses-bucket.*exists|team-b/);
    await refuse(
      'tenant names the default location explicitly when none is allowed by name',
      create(alice, 'bucket', { velero: { storageLocation: 'default' } }),
      /spec\.velero\.storageLocation/,
    );
    await refuse(
      "tenant sends its volume snapshots to another team's location",
      create(alice, 'bucket', { velero: { volumeSnapshotLocations: ['other-team-vsl'] } }),
      /spec\.velero\.volumeSnapshotLocations/,
      /spec\.allowedVolumeSnapshotLocations/,
    );
    await admin_widens({ allowedStorageLocations: ['archive'], allowedVolumeSnapshotLocations: ['csi'] });
    await admit(
      'tenant names a location the admin allowed',
      waitFor(
        () =>
          create(alice, 'bucket', {
            velero: { storageLocation: 'archive', volumeSnapshotLocations: ['csi'] },
          }).catch(() => undefined),
        { what: 'the widened policy to be read by the admission policy' },
      ),
    );
    await refuse(
      'tenant switches to a location still not allowed',
      patchSpec(alice, 'bucket', { velero: { storageLocation: 'other' } }),
      /spec\.velero\.storageLocation: .*only archive or Velero's default/,
    );
  });

  test('schedules more frequent than the minimum interval are refused', async () => {
    for (const schedule of ['@every 1m', '@every 59m59s', '* * * * *', '*/5 * * * *']) {
      await refuse(
        `tenant schedules ${schedule}`,
        create(alice, 'often', { schedule }),
        /spec\.schedule/,
        /at least 1h between scheduled runs \(spec\.minScheduleInterval\)/,
      );
    }
    await admit('tenant schedules @hourly (the minimum)', create(alice, 'hourly', { schedule: '@hourly' }));
    await admin_widens({ minScheduleInterval: '5m' });
    await admit(
      'tenant schedules */5 after the admin lowered the minimum',
      waitFor(() => create(alice, 'often', { schedule: '*/5 * * * *' }).catch(() => undefined), {
        what: 'the lowered minimum to be read',
      }),
    );
    await setPolicy({ minScheduleInterval: '1h' });
  });

  test('hooks beyond the maximum, freeze budgets beyond the maximum, ttl under the retention lock', async () => {
    const many = Array.from({ length: 9 }, (_, i) => ({ ...checkpoint, name: `h${i}` }));
    await refuse(
      'tenant with exec declares 9 hooks',
      create(bob, 'many', { hooks: many }),
      /9 hooks/,
      /at most 8 \(spec\.maxHooks\)/,
    );
    const freeze = {
      name: 'lock',
      selector: { matchLabels: { app: 'db' } },
      container: 'mariadb',
      preset: { name: 'mysql', freezeBudget: '11m' },
    };
    await refuse(
      'tenant with exec gives a freeze budget of 11m',
      create(bob, 'long-freeze', { hooks: [freeze] }),
      /freezeBudget/,
      /at most 10m \(spec\.maxFreezeBudget\)/,
    );
    await admit(
      'tenant with exec gives a freeze budget of 10m',
      create(bob, 'freeze', { hooks: [{ ...freeze, preset: { name: 'mysql', freezeBudget: '10m' } }] }),
    );
    await admin_widens({ minRetention: '168h' });
    await waitFor(
      () =>
        create(alice, 'short', { ttl: '24h' }, true).then(
          () => false,
          () => true,
        ),
      { what: 'the retention lock to be read' },
    );
    await refuse(
      'tenant keeps backups for less than the retention lock',
      create(alice, 'short', { ttl: '24h' }),
      /spec\.ttl/,
      /at least 168h \(retention lock/,
    );
    await admit('tenant keeps backups for the retention lock', create(alice, 'week', { ttl: '168h' }));
    await setPolicy({ minRetention: '0s' });
  });

  test('protected namespaces take no ConsistentBackup, not even from the admin', async () => {
    await refuse(
      'cluster admin creates a ConsistentBackup in kube-system',
      admin.createNamespacedCustomObject({ ...cbk, namespace: 'kube-system', body: cr('sys', {}) }),
      /namespace kube-system is protected/,
    );
    await admin_widens({ protectedNamespaces: ['finance'] });
    await waitFor(
      () =>
        admin
          .createNamespacedCustomObject({ ...cbk, namespace: 'finance', body: cr('x', {}), dryRun: 'All' })
          .then(
            () => false,
            () => true,
          ),
      { what: 'the protected namespace to be read' },
    );
    await refuse(
      'cluster admin creates a ConsistentBackup in a namespace the policy protects',
      admin.createNamespacedCustomObject({ ...cbk, namespace: 'finance', body: cr('x', {}) }),
      /namespace finance is protected/,
    );
  });

  test('a limit tightened later does not block metadata changes (finalizers, run-now)', async () => {
    await setPolicy({ allowedStorageLocations: [] });
    await waitFor(
      () =>
        patchSpec(alice, 'bucket', { velero: { storageLocation: 'archive', snapshotVolumes: true } }).then(
          () => false,
          () => true,
        ),
      { what: 'the narrowed policy to be read' },
    );
    await admit(
      'the operator sets its finalizer on a ConsistentBackup outside a tightened limit',
      admin.patchNamespacedCustomObject(
        {
          ...cbk,
          namespace: 'team-a',
          name: 'bucket',
          body: { metadata: { finalizers: ['consistentbackup.io/cleanup'] } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch, asOperator),
      ),
    );
  });
});

describe("the operator's own identity is fenced (kubectl --as its service account)", () => {
  const labels = (namespace: string) => ({
    'app.kubernetes.io/managed-by': 'consistent-backup-operator',
    'consistentbackup.io/namespace': namespace,
    'consistentbackup.io/name': 'db',
    'consistentbackup.io/uid': 'u-1',
  });
  const hooks = (namespaces?: string[]) => ({
    resources: [
      {
        name: 'db',
        ...(namespaces && { includedNamespaces: namespaces }),
        labelSelector: { matchLabels: { app: 'db' } },
        pre: [{ exec: { container: 'db', command: ['sync'] } }],
      },
    ],
  });
  const backup = (name: string, spec: Record<string, unknown>, namespace = 'team-a') => ({
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name, labels: labels(namespace) },
    spec,
  });
  const schedule = (name: string, template: Record<string, unknown>) => ({
    apiVersion: 'velero.io/v1',
    kind: 'Schedule',
    metadata: { name, labels: labels('team-a') },
    spec: { schedule: '@daily', template },
  });

  test('Backups and Schedules beyond one unprotected namespace, foreign hooks or locations are refused', async () => {
    await setPolicy({ protectedNamespaces: ['finance'], allowedStorageLocations: ['archive'] });
    const attempts: [string, Record<string, unknown>, RegExp][] = [
      ['every namespace (*)', { includedNamespaces: ['*'] }, /exactly one namespace/],
      ['two namespaces', { includedNamespaces: ['team-a', 'team-b'] }, /exactly one namespace/],
      ['no includedNamespaces (Velero: all)', {}, /exactly one namespace/],
      ['kube-system', { includedNamespaces: ['kube-system'] }, /exactly one namespace/],
      ['the Velero namespace', { includedNamespaces: ['velero'] }, /exactly one namespace/],
      ["the operator's namespace", { includedNamespaces: ['consistent-backup-system'] }, /exactly one/],
      ['a namespace the admin protects', { includedNamespaces: ['finance'] }, /exactly one namespace/],
      [
        'a hook in kube-system',
        { includedNamespaces: ['team-a'], hooks: hooks(['kube-system']) },
        /hooks run only in the namespace/,
      ],
      [
        'a hook in every namespace the backup includes (none named)',
        { includedNamespaces: ['team-a'], hooks: hooks() },
        /hooks run only/,
      ],
      [
        'a hook in two namespaces',
        { includedNamespaces: ['team-a'], hooks: hooks(['team-a', 'team-b']) },
        /hooks run only/,
      ],
      [
        'a storage location not allowed',
        { includedNamespaces: ['team-a'], storageLocation: 'someone-elses-bucket' },
        /storage location someone-elses-bucket is not allowed/,
      ],
      [
        'a volume snapshot location not allowed',
        { includedNamespaces: ['team-a'], volumeSnapshotLocations: ['other'] },
        /volume snapshot location is not allowed/,
      ],
      [
        'cluster-scoped resources',
        { includedNamespaces: ['team-a'], includeClusterResources: true },
        /no cluster-scoped resources/,
      ],
      [
        'named cluster-scoped resources',
        { includedNamespaces: ['team-a'], includedClusterScopedResources: ['clusterroles'] },
        /no cluster-scoped resources/,
      ],
    ];
    for (const [what, spec, pattern] of attempts) {
      await refuse(
        `operator creates a Backup of ${what}`,
        createAsOperator('backups', backup('cbo-x', spec)),
        pattern,
      );
    }
    await refuse(
      'operator creates a Backup whose owner label names another namespace than it covers',
      createAsOperator('backups', backup('cbo-x', { includedNamespaces: ['team-b'] }, 'team-a')),
      /label of the operator's Velero objects names the namespace/,
    );
    await refuse(
      'operator creates a Backup not named cbo-*',
      createAsOperator('backups', backup('team-b-nightly', { includedNamespaces: ['team-a'] })),
      /named cbo-\*/,
    );
    await refuse(
      'operator creates an unlabelled Backup',
      createAsOperator('backups', {
        ...backup('cbo-x', { includedNamespaces: ['team-a'] }),
        metadata: { name: 'cbo-x' },
      }),
      /carry app.kubernetes.io\/managed-by/,
    );
    await refuse(
      'operator creates a Schedule of every namespace',
      createAsOperator('schedules', schedule('cbo-s', { includedNamespaces: ['*'] })),
      /exactly one namespace/,
    );
    await refuse(
      'operator creates a Schedule with a hook in kube-system',
      createAsOperator(
        'schedules',
        schedule('cbo-s', { includedNamespaces: ['team-a'], hooks: hooks(['kube-system']) }),
      ),
      /hooks run only/,
    );
    await refuse(
      'operator creates an unlabelled Restore',
      createAsOperator('restores', {
        apiVersion: 'velero.io/v1',
        kind: 'Restore',
        metadata: { name: 'cbo-r' },
        spec: { backupName: 'cbo-x', includedNamespaces: ['team-a'] },
      }),
      /carry app.kubernetes.io\/managed-by/,
    );
    await refuse(
      'operator creates a BackupStorageLocation (refused by RBAC before admission)',
      createAsOperator('backupstoragelocations', {
        apiVersion: 'velero.io/v1',
        kind: 'BackupStorageLocation',
        metadata: { name: 'attacker' },
        spec: { provider: 'aws', objectStorage: { bucket: 'attacker' } },
      }),
    );
  });

  test('the operator deletes and changes only what is its own; its own work is admitted', async () => {
    // Another team's backup and schedule, made without the operator.
    await admin.createNamespacedCustomObject({
      ...velero('backups'),
      body: {
        apiVersion: 'velero.io/v1',
        kind: 'Backup',
        metadata: { name: 'team-b-manual' },
        spec: { includedNamespaces: ['team-b'] },
      },
    });
    await admin.createNamespacedCustomObject({
      ...velero('schedules'),
      body: {
        apiVersion: 'velero.io/v1',
        kind: 'Schedule',
        metadata: { name: 'cbo-lookalike' },
        spec: { schedule: '@daily', template: { includedNamespaces: ['team-b'] } },
      },
    });
    const dbr = (backupName: string) => ({
      apiVersion: 'velero.io/v1',
      kind: 'DeleteBackupRequest',
      metadata: { name: `${backupName}-delete`, labels: labels('team-a') },
      spec: { backupName },
    });
    await refuse(
      "operator asks Velero to delete another team's backup",
      createAsOperator('deletebackuprequests', dbr('team-b-manual')),
      /deletes only its own backups \(named cbo-\*\), not team-b-manual/,
    );
    const download = (kind: string, backupName: string) => ({
      apiVersion: 'velero.io/v1',
      kind: 'DownloadRequest',
      metadata: { generateName: `${backupName}-`, labels: labels('team-a') },
      spec: { target: { kind, name: backupName } },
    });
    await refuse(
      "operator downloads a backup's contents (the namespace's Secrets)",
      createAsOperator('downloadrequests', download('BackupContents', 'cbo-team-a-db')),
      /reads only the log, results and resource list of its own backups/,
    );
    await refuse(
      "operator reads another team's backup log",
      createAsOperator('downloadrequests', download('BackupLog', 'team-b-manual')),
      /reads only the log, results and resource list of its own backups \(named cbo-\*\), not the BackupLog of team-b-manual/,
    );
    await refuse(
      'operator reads the log of a restore',
      createAsOperator('downloadrequests', download('RestoreLog', 'cbo-team-a-db')),
      /reads only the log, results and resource list/,
    );
    await refuse(
      'operator changes a Schedule it did not make',
      admin.patchNamespacedCustomObject(
        {
          ...velero('schedules'),
          name: 'cbo-lookalike',
          body: { spec: { template: { includedNamespaces: ['team-a'] } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch, asOperator),
      ),
      /change or delete only Velero schedules labelled/,
    );
    await refuse(
      'operator deletes a Schedule it did not make',
      admin.deleteNamespacedCustomObject({ ...velero('schedules'), name: 'cbo-lookalike' }, asOperator),
      /change or delete only/,
    );
    const own = { includedNamespaces: ['team-a'], storageLocation: 'archive', hooks: hooks(['team-a']) };
    await admit(
      'operator creates its Backup of team-a with a hook in team-a',
      createAsOperator('backups', backup('cbo-team-a-db', own)),
    );
    await admit(
      'operator creates its Schedule of team-a',
      createAsOperator('schedules', schedule('cbo-team-a-db', own)),
    );
    await admit(
      'operator changes its Schedule',
      admin.patchNamespacedCustomObject(
        { ...velero('schedules'), name: 'cbo-team-a-db', body: { spec: { paused: true } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch, asOperator),
      ),
    );
    await admit(
      'operator asks Velero to delete its own backup',
      createAsOperator('deletebackuprequests', dbr('cbo-team-a-db')),
    );
    for (const kind of ['BackupLog', 'BackupResults', 'BackupResourceList']) {
      await admit(
        `operator reads the ${kind} of its own backup`,
        createAsOperator('downloadrequests', download(kind, 'cbo-team-a-db')),
      );
    }
    await admit(
      'operator deletes its Schedule',
      admin.deleteNamespacedCustomObject({ ...velero('schedules'), name: 'cbo-team-a-db' }, asOperator),
    );
  });
});

describe('restores and drills: exec needs exec rights, InPlace needs the rights a restore exercises', () => {
  const crst = {
    group: 'consistentbackup.io',
    version: 'v1alpha1',
    namespace: 'team-a',
    plural: 'consistentrestores',
  };
  const rdrill = { ...crst, plural: 'restoredrills' };
  const restore = (name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) => ({
    apiVersion: 'consistentbackup.io/v1alpha1',
    kind: 'ConsistentRestore',
    metadata: { name, ...metadata },
    spec: { source: { consistentBackup: 'db' }, ...spec },
  });
  const drill = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: 'consistentbackup.io/v1alpha1',
    kind: 'RestoreDrill',
    metadata: { name },
    spec: { consistentBackup: 'db', ...spec },
  });
  const shell = {
    name: 'shell',
    selector: { matchLabels: { app: 'db' } },
    exec: [{ command: ['/bin/sh', '-c', 'cat /var/run/secrets/kubernetes.io/serviceaccount/token'] }],
  };
  const privilegedInit = {
    name: 'root',
    selector: { matchLabels: { app: 'db' } },
    init: { initContainers: [{ name: 'root', image: 'busybox', securityContext: { privileged: true } }] },
  };
  const pgCheck = { name: 'pg', selector: { matchLabels: { app: 'db' } }, preset: { name: 'postgresql' } };
  const createRestore = (api: CustomObjectsApi, body: object) =>
    api.createNamespacedCustomObject({ ...crst, body });
  const createDrill = (api: CustomObjectsApi, body: object) =>
    api.createNamespacedCustomObject({ ...rdrill, body });

  test('a tenant without pods/exec declares no restore hooks or checks, and no one restores InPlace without the rights', async () => {
    for (const [what, spec] of [
      ['an exec hook', { hooks: [shell] }],
      ['a privileged init container hook', { hooks: [privilegedInit] }],
      ['a preset check', { checks: [pgCheck] }],
      ['a command check', { checks: [{ name: 'c', selector: {}, command: ['id'] }] }],
    ] as const) {
      await refuse(
        `tenant without exec creates a ConsistentRestore with ${what}`,
        createRestore(alice, restore('r', spec)),
        /spec\.hooks, spec\.checks/,
        /create pods\/exec/,
        /namespace team-a/,
      );
    }
    await refuse(
      'tenant without exec creates a RestoreDrill with a check',
      createDrill(alice, drill('d', { checks: [pgCheck] })),
      /create pods\/exec/,
    );
    await admit(
      'tenant without exec creates a ConsistentRestore into a scratch namespace, without hooks',
      createRestore(alice, restore('plain', {})),
    );
    await admit(
      'tenant without exec creates a RestoreDrill without hooks or checks',
      createDrill(alice, drill('plain', { schedule: '0 4 * * *' })),
    );
    await refuse(
      'tenant without exec adds a check to its RestoreDrill',
      alice.patchNamespacedCustomObject(
        { ...rdrill, name: 'plain', body: { spec: { checks: [pgCheck] } } },
        merge,
      ),
      /create pods\/exec/,
    );
    await admit(
      'tenant without exec changes its RestoreDrill schedule',
      alice.patchNamespacedCustomObject(
        { ...rdrill, name: 'plain', body: { spec: { schedule: '0 5 * * *' } } },
        merge,
      ),
    );
    const inPlaceAlice = await refuse(
      'tenant without exec restores InPlace, without hooks',
      createRestore(alice, restore('live', { target: 'InPlace' })),
      /spec\.target: InPlace/,
      /alice may not create pods/,
    );
    assert.doesNotMatch(inPlaceAlice, /team-b|finance/);
    await refuse(
      'tenant with exec only restores InPlace',
      createRestore(bob, restore('live', { target: 'InPlace' })),
      /bob may not create pods/,
    );
    await refuse(
      'tenant with exec only restores InPlace as a server-side dry run',
      bob.createNamespacedCustomObject({
        ...crst,
        body: restore('live', { target: 'InPlace' }),
        dryRun: 'All',
      }),
      /spec\.target: InPlace/,
    );
    await refuse(
      "tenant without exec claims its restore is a drill's run",
      createRestore(
        alice,
        restore(
          'fake-run',
          { checks: [pgCheck] },
          {
            ownerReferences: [
              {
                apiVersion: 'consistentbackup.io/v1alpha1',
                kind: 'RestoreDrill',
                name: 'plain',
                uid: 'u',
                controller: true,
              },
            ],
          },
        ),
      ),
      /create pods\/exec/,
    );
  });

  test('tenants with the rights may; the operator runs only the drills that tenants wrote', async () => {
    await admit(
      'tenant with exec creates a ConsistentRestore with hooks and checks',
      createRestore(bob, restore('checked', { hooks: [shell, privilegedInit], checks: [pgCheck] })),
    );
    const bobsDrill = (await admit(
      'tenant with exec creates a RestoreDrill with checks',
      createDrill(bob, drill('nightly', { schedule: '0 4 * * *', checks: [pgCheck] })),
    )) as RestoreDrill;
    await admit(
      'tenant with exec changes the checks of a RestoreDrill',
      bob.patchNamespacedCustomObject(
        { ...rdrill, name: 'nightly', body: { spec: { checks: [pgCheck, { ...pgCheck, name: 'pg2' }] } } },
        merge,
      ),
    );
    await admit(
      'tenant who may create pods, Secrets, service accounts, Roles and RoleBindings restores InPlace with hooks',
      createRestore(carol, restore('live', { target: 'InPlace', hooks: [shell] })),
    );
    await admit(
      "the operator creates a drill's run (a scratch restore with the drill's checks)",
      admin.createNamespacedCustomObject(
        { ...crst, body: drillRun(bobsDrill, drillRunName(bobsDrill, 'token/t2')) },
        asOperator,
      ),
    );
    await refuse(
      "the operator creates a drill's run InPlace",
      admin.createNamespacedCustomObject(
        {
          ...crst,
          body: (() => {
            const run = drillRun(bobsDrill, drillRunName(bobsDrill, 'token/t3'));
            return { ...run, spec: { ...run.spec, target: 'InPlace', hooks: undefined, checks: undefined } };
          })(),
        },
        asOperator,
      ),
      /spec\.target: InPlace/,
    );
    await refuse(
      'the operator creates a ConsistentRestore with checks that no drill owns',
      admin.createNamespacedCustomObject(
        { ...crst, body: restore('rogue', { checks: [pgCheck] }) },
        asOperator,
      ),
      /create pods\/exec/,
    );
    await admit(
      'the operator sets its finalizer on an InPlace ConsistentRestore with hooks',
      admin.patchNamespacedCustomObject(
        { ...crst, name: 'live', body: { metadata: { finalizers: ['consistentbackup.io/cleanup'] } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch, asOperator),
      ),
    );
  });
});

describe("the operator's Velero Restores and namespaces are fenced (kubectl --as its service account)", () => {
  const identity = (namespace: string) => ({ namespace, name: 'r', uid: `uid-${namespace}` });
  const planned = (namespace: string, spec: Partial<ConsistentRestore['spec']> = {}): VeleroRestore => {
    const result = planRestore(
      {
        metadata: { ...identity(namespace) },
        spec: { source: { consistentBackup: 'db' }, ...spec },
      },
      `cbo-${namespace}-db-0123456789`,
      'velero',
    );
    assert.ok(result.ok);
    return result.plan.restore;
  };
  const withSpec = (restore: VeleroRestore, spec: Record<string, unknown>) => ({
    ...restore,
    spec: { ...restore.spec, ...spec },
  });
  const scratchOf = (namespace: string) => restoreNames(identity(namespace)).scratchNamespace;
  const hooksIn = (namespaces?: string[]) => ({
    resources: [
      {
        name: 'h',
        ...(namespaces && { includedNamespaces: namespaces }),
        postHooks: [{ exec: { command: ['id'] } }],
      },
    ],
  });
  const idHook = { name: 'id', selector: { matchLabels: { app: 'db' } }, exec: [{ command: ['id'] }] };
  const longNamespace = 'a-team-with-a-very-long-namespace-name-that-goes-on-and-on';

  test('Restores beyond one namespace and its own scratch namespace are refused', async () => {
    const scratch = planned('team-a');
    const attempts: [string, object, RegExp][] = [
      [
        'not named cbo-*',
        { ...scratch, metadata: { ...scratch.metadata, name: 'team-b-restore' } },
        /named cbo-\*/,
      ],
      [
        'of a backup not named cbo-*',
        withSpec(scratch, { backupName: 'team-b-manual' }),
        /restores only its own backups/,
      ],
      [
        'of the newest backup of a schedule',
        withSpec(scratch, { scheduleName: 'team-b-daily' }),
        /no spec.scheduleName/,
      ],
      ['of every namespace (*)', withSpec(scratch, { includedNamespaces: ['*'] }), /exactly one namespace/],
      ['of two namespaces', withSpec(scratch, { includedNamespaces: ['team-a', 'team-b'] }), /exactly one/],
      [
        'of no namespace named (Velero: all)',
        withSpec(scratch, { includedNamespaces: undefined }),
        /exactly one/,
      ],
      ['of kube-system', planned('kube-system'), /exactly one namespace/],
      ['of the Velero namespace', planned('velero'), /exactly one namespace/],
      ["of the operator's namespace", planned('consistent-backup-system'), /exactly one namespace/],
      ['of a namespace the admin protects', planned('finance'), /exactly one namespace/],
      [
        'whose owner label names another namespace',
        withSpec(scratch, {
          includedNamespaces: ['team-b'],
          namespaceMapping: { 'team-b': scratchOf('team-b') },
        }),
        /label of the operator's Velero objects names the namespace/,
      ],
      [
        'mapped into another tenant namespace',
        withSpec(scratch, { namespaceMapping: { 'team-a': 'team-b' } }),
        /only into itself or into its scratch/,
      ],
      [
        'mapped into kube-system',
        withSpec(scratch, { namespaceMapping: { 'team-a': 'kube-system' } }),
        /only into itself/,
      ],
      [
        'mapped into the Velero namespace',
        withSpec(scratch, { namespaceMapping: { 'team-a': 'velero' } }),
        /only into itself/,
      ],
      [
        "mapped into another namespace's scratch namespace",
        withSpec(scratch, { namespaceMapping: { 'team-a': scratchOf('team-b') } }),
        /only into itself or into its scratch namespace/,
      ],
      [
        'mapping a second namespace too',
        withSpec(scratch, { namespaceMapping: { 'team-a': scratchOf('team-a'), 'team-b': 'team-b' } }),
        /only into itself/,
      ],
      [
        'that restores related cluster-scoped resources (unset)',
        withSpec(scratch, { includeClusterResources: undefined }),
        /includeClusterResources false/,
      ],
      [
        'that restores cluster-scoped resources',
        withSpec(scratch, { includeClusterResources: true }),
        /cluster-scoped/,
      ],
      [
        'that overwrites existing objects',
        withSpec(scratch, { existingResourcePolicy: 'update' }),
        /overwrite nothing/,
      ],
      [
        'that modifies the restored objects',
        withSpec(scratch, { resourceModifier: { kind: 'ConfigMap', name: 'rewrite' } }),
        /modify nothing/,
      ],
      [
        'with a hook in the source namespace while restoring into scratch',
        withSpec(scratch, { hooks: hooksIn(['team-a']) }),
        /hooks run only/,
      ],
      [
        'with a hook in kube-system',
        withSpec(scratch, { hooks: hooksIn(['kube-system']) }),
        /hooks run only/,
      ],
      [
        'with a hook in every namespace restored (none named)',
        withSpec(scratch, { hooks: hooksIn() }),
        /hooks run only/,
      ],
      [
        'InPlace with a hook in the scratch namespace',
        withSpec(planned('team-a', { target: 'InPlace' }), { hooks: hooksIn([scratchOf('team-a')]) }),
        /hooks run only/,
      ],
    ];
    for (const [what, body, pattern] of attempts) {
      await refuse(`operator creates a Restore ${what}`, createAsOperator('restores', body), pattern);
    }
    await admin.createNamespacedCustomObject({
      ...velero('restores'),
      body: {
        apiVersion: 'velero.io/v1',
        kind: 'Restore',
        metadata: { name: 'cbo-admins' },
        spec: { backupName: 'x' },
      },
    });
    await refuse(
      'operator deletes a Restore it did not make',
      admin.deleteNamespacedCustomObject({ ...velero('restores'), name: 'cbo-admins' }, asOperator),
      /change or delete only Velero restores labelled/,
    );
  });

  test("the operator's own Restores are admitted: into the scratch namespace, in place, for long namespace names", async () => {
    const scratch = planned('team-a', {
      hooks: [idHook],
      checks: [{ name: 'pg', selector: { matchLabels: { app: 'db' } }, preset: { name: 'postgresql' } }],
    });
    assert.equal(scratch.spec.namespaceMapping?.['team-a'], scratchOf('team-a'));
    await admit(
      'operator creates its Restore of team-a into its scratch namespace with hooks and checks there',
      createAsOperator('restores', scratch),
    );
    const inPlace = planned('team-b', { target: 'InPlace', hooks: [idHook] });
    await admit(
      'operator creates its InPlace Restore of team-b with a hook in team-b',
      createAsOperator('restores', inPlace),
    );
    const long = planned(longNamespace);
    assert.notEqual(scratchOf(longNamespace).slice(0, -15), longNamespace, 'the scratch name is shortened');
    await admit(
      'operator creates its Restore of a 58-character namespace into its shortened scratch namespace',
      createAsOperator('restores', long),
    );
    await admit(
      'operator deletes its Restore',
      admin.deleteNamespacedCustomObject(
        { ...velero('restores'), name: scratch.metadata.name ?? '' },
        asOperator,
      ),
    );
  });

  test('the operator creates only scratch namespaces and deletes only those', async () => {
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    const createNamespace = (name: string, labels: Record<string, string>) =>
      core.createNamespace({ body: { metadata: { name, labels } } }, asOperator);
    const ours = scratchLabels(identity('team-a'));
    const attempts: [string, string, Record<string, string>, RegExp][] = [
      ['without labels', scratchOf('team-a'), {}, /carry consistentbackup.io\/scratch=true/],
      [
        'without the restore it belongs to',
        scratchOf('team-a'),
        { ...ours, 'consistentbackup.io/restore-uid': '' },
        /restore-uid/,
      ],
      ['with the scratch labels but any name', 'attacker', ours, /creates only the scratch namespace/],
      [
        "named as another namespace's scratch namespace",
        scratchOf('team-b'),
        ours,
        /creates only the scratch namespace/,
      ],
      [
        'of kube-system',
        scratchOf('kube-system'),
        scratchLabels(identity('kube-system')),
        /unprotected namespace/,
      ],
      [
        "of the operator's namespace",
        scratchOf('consistent-backup-system'),
        scratchLabels(identity('consistent-backup-system')),
        /unprotected/,
      ],
      [
        'of a namespace the admin protects',
        scratchOf('finance'),
        scratchLabels(identity('finance')),
        /unprotected/,
      ],
    ];
    for (const [what, name, labels, pattern] of attempts) {
      await refuse(`operator creates a namespace ${what}`, createNamespace(name, labels), pattern);
    }
    await refuse(
      'operator deletes namespace kube-system (refused by the API server itself before admission)',
      core.deleteNamespace({ name: 'kube-system' }, asOperator),
      /may not be deleted/,
    );
    for (const victim of ['team-b', 'velero', 'consistent-backup-system']) {
      await refuse(
        `operator deletes namespace ${victim}`,
        core.deleteNamespace({ name: victim }, asOperator),
        /change or delete only its scratch namespaces/,
      );
    }
    await core.createNamespace({ body: { metadata: { name: 'team-a-rst-0123456789' } } });
    await refuse(
      'operator deletes a namespace named like a scratch namespace but not labelled as one',
      core.deleteNamespace({ name: 'team-a-rst-0123456789' }, asOperator),
      /change or delete only its scratch namespaces/,
    );
    await refuse(
      'operator labels a tenant namespace as scratch (refused by RBAC before admission)',
      core.patchNamespace(
        { name: 'team-b', body: { metadata: { labels: ours } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch, asOperator),
      ),
    );
    await admit(
      'operator creates the scratch namespace of a restore of team-a',
      createNamespace(scratchOf('team-a'), ours),
    );
    await admit(
      'operator creates the shortened scratch namespace of a 58-character namespace',
      createNamespace(scratchOf(longNamespace), scratchLabels(identity(longNamespace))),
    );
    await admit(
      'operator deletes its scratch namespace',
      core.deleteNamespace({ name: scratchOf('team-a') }, asOperator),
    );
  });
});

describe('without the cluster policy nothing is admitted', () => {
  test('a second policy is refused; once the one policy is deleted, tenants and the operator are refused', async () => {
    const policies = {
      group: 'consistentbackup.io',
      version: 'v1alpha1',
      plural: 'consistentbackuppolicies',
    };
    await refuse(
      'cluster admin creates a second, laxer ConsistentBackupPolicy',
      admin.createClusterCustomObject({
        ...policies,
        body: {
          apiVersion: 'consistentbackup.io/v1alpha1',
          kind: 'ConsistentBackupPolicy',
          metadata: { name: 'lax' },
          spec: { minScheduleInterval: '1s' },
        },
      }),
      /metadata.name must be "cluster"/,
    );
    await admin.deleteClusterCustomObject({ ...policies, name: 'cluster' });
    await waitFor(
      () =>
        create(alice, 'after', {}, true).then(
          () => false,
          () => true,
        ),
      {
        what: 'the deleted policy to be noticed',
      },
    );
    await refuse(
      'tenant creates a ConsistentBackup while the cluster has no policy',
      create(alice, 'after', {}),
      /ConsistentBackupPolicy|param/i,
    );
    await refuse(
      'operator creates its own kind of Backup while the cluster has no policy',
      admin.createNamespacedCustomObject(
        {
          ...velero('backups'),
          body: {
            apiVersion: 'velero.io/v1',
            kind: 'Backup',
            metadata: {
              name: 'cbo-after',
              labels: {
                'app.kubernetes.io/managed-by': 'consistent-backup-operator',
                'consistentbackup.io/namespace': 'team-a',
              },
            },
            spec: { includedNamespaces: ['team-a'] },
          },
        },
        asOperator,
      ),
    );
  });
});

/** The cluster admin changes the ConsistentBackupPolicy; counted as an allowed path. */
async function admin_widens(spec: Record<string, unknown>): Promise<void> {
  await admit(`cluster admin sets ${JSON.stringify(spec)}`, setPolicy(spec));
}
