// The install mode for a list of namespaces (deploy/namespaced/ enabled, --watch-namespaces): the operator
// cannot read pods cluster-wide, serves the listed namespace fully (hook preflight through its Role there)
// and tells a ConsistentBackup elsewhere that it is not served, without naming the namespaces it serves.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AuthorizationV1Api } from '@kubernetes/client-node';
import { OPERATOR_USER } from '../harness/operator-identity.ts';
import { condition, OperatorTestbed } from '../harness/operator-testbed.ts';
import { createFakePod } from '../support/fake-pods.ts';

let bed: OperatorTestbed;

before(async () => {
  bed = await OperatorTestbed.start(['--watch-namespaces=team-a'], { namespaced: true });
});
after(async () => {
  await bed?.stop();
});

async function operatorMay(verb: string, namespace?: string): Promise<boolean> {
  const review = await bed.cp.kubeConfig.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
    body: {
      spec: {
        user: OPERATOR_USER,
        groups: ['system:serviceaccounts', 'system:serviceaccounts:consistent-backup-system'],
        resourceAttributes: { resource: 'pods', verb, ...(namespace && { namespace }) },
      },
    },
  });
  return review.status?.allowed ?? false;
}

test('the operator reads pods only in the listed namespace', async () => {
  assert.equal(await operatorMay('list'), false, 'no cluster-wide pod reader');
  assert.equal(await operatorMay('list', 'team-b'), false);
  assert.equal(await operatorMay('list', 'team-a'), true);
  assert.equal(await operatorMay('watch', 'team-a'), true);
});

test('a listed namespace is served with hook preflight; another is told it is not served', async () => {
  await createFakePod(bed.core, {
    namespace: 'team-a',
    name: 'db-0',
    labels: { app: 'db' },
    containers: ['db'],
  });
  const hooks = [
    { name: 'db', selector: { matchLabels: { app: 'db' } }, container: 'db', pre: [{ command: ['sync'] }] },
  ];
  await bed.applyConsistentBackup('team-a', 'db', { schedule: '@daily', hooks });
  const served = await bed.waitForStatus(
    'team-a',
    'db',
    'hooks ready',
    (c) => condition(c, 'HooksReady')?.status === 'True',
  );
  assert.deepEqual(served.status?.hooks?.[0]?.matchedPods, ['db-0']);
  assert.equal((await bed.ownedBy('schedules', 'team-a', 'db')).length, 1);

  await bed.applyConsistentBackup('team-b', 'db', { schedule: '@daily' });
  const elsewhere = await bed.waitForStatus(
    'team-b',
    'db',
    'not served',
    (c) => c.status?.phase === 'Invalid',
  );
  const ready = condition(elsewhere, 'Ready');
  assert.equal(ready?.reason, 'NamespaceNotServed');
  assert.doesNotMatch(JSON.stringify(elsewhere.status), /team-a/);
  assert.deepEqual(await bed.ownedBy('schedules', 'team-b'), []);
});
