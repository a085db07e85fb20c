// A cluster without Velero's CRDs: the operator must say so in the ConsistentBackup's status and keep
// running, then pick Velero up once it is installed, with no restart.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ConsistentBackup } from '../../src/api/consistent-backup.ts';
import { ensureVeleroCrds } from '../../src/local-cluster/binaries.ts';
import { applyCrds, readCrds } from '../../src/local-cluster/crds.ts';
import { projectCrdDir, startControlPlane, type ControlPlane } from '../harness/control-plane.ts';
import { operatorKubeconfig } from '../harness/operator-identity.ts';
import { OperatorProcess } from '../harness/operator-process.ts';
import { waitFor } from '../harness/wait.ts';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';

let cp: ControlPlane;
let operator: OperatorProcess;

before(async () => {
  cp = await startControlPlane({ installCrds: false });
  await applyCrds(cp.kubeConfig, await readCrds(projectCrdDir), 'test');
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  for (const name of ['velero', 'app']) await core.createNamespace({ body: { metadata: { name } } });
  operator = await new OperatorProcess({ kubeconfigPath: await operatorKubeconfig(cp) }).start();
});
after(async () => {
  await operator?.stop();
  await cp?.stop();
});

const ready = (cr: ConsistentBackup) => cr.status?.conditions?.find((c) => c.type === 'Ready');

test('no Velero CRDs: a clear condition, the operator stays up and ready, and Velero is picked up once installed', async () => {
  const custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
  const cr = {
    group: 'consistentbackup.io',
    version: 'v1alpha1',
    namespace: 'app',
    plural: 'consistentbackups',
  };
  await custom.createNamespacedCustomObject({
    ...cr,
    body: {
      apiVersion: 'consistentbackup.io/v1alpha1',
      kind: 'ConsistentBackup',
      metadata: { name: 'db' },
      spec: { schedule: '@hourly', rpo: '2h' },
    },
  });
  const get = async () => (await custom.getNamespacedCustomObject({ ...cr, name: 'db' })) as ConsistentBackup;
  const missing = await waitFor(
    async () => {
      const c = await get();
      return ready(c)?.reason === 'VeleroNotInstalled' && c;
    },
    { what: 'Ready=False VeleroNotInstalled' },
  );
  assert.equal(ready(missing)?.status, 'False');
  assert.match(ready(missing)?.message ?? '', /velero\.io CRDs .* are not installed/);
  assert.ok(operator.running, 'the operator keeps running');
  assert.equal((await operator.get('/readyz')).status, 200);

  await applyCrds(cp.kubeConfig, await readCrds(await ensureVeleroCrds()), 'test');
  const picked = await waitFor(
    async () => {
      const c = await get();
      return Boolean(c.status?.scheduleName) && ready(c)?.reason !== 'VeleroNotInstalled' && c;
    },
    { what: 'the Schedule once Velero is installed', timeoutMs: 120_000 },
  );
  const schedule = await custom.getNamespacedCustomObject({
    group: 'velero.io',
    version: 'v1',
    namespace: 'velero',
    plural: 'schedules',
    name: picked.status?.scheduleName ?? '',
  });
  assert.ok(schedule);
  assert.ok(operator.running);
});
