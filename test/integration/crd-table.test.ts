// What kubectl shows of a ConsistentBackup on a real kube-apiserver: refusals in words rather than regular
// expressions, limits in `kubectl explain`, and a Problem column that is empty only when nothing is wrong.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { startControlPlane, type ControlPlane } from '../harness/control-plane.ts';

const run = promisify(execFile);
let plane: ControlPlane;
before(async () => {
  plane = await startControlPlane({ controllerManager: false });
  await kubectl(['create', 'namespace', 'shop']);
});
after(async () => {
  await plane?.stop();
});

function kubectl(args: string[], stdin?: string) {
  const child = run('kubectl', ['--kubeconfig', plane.kubeconfigPath, ...args]);
  if (stdin !== undefined) child.child.stdin?.end(stdin);
  return child;
}

const manifest = (name: string, spec: object) =>
  JSON.stringify({
    apiVersion: 'consistentbackup.io/v1alpha1',
    kind: 'ConsistentBackup',
    metadata: { name, namespace: 'shop' },
    spec,
  });

async function refusal(spec: object): Promise<string> {
  try {
    await kubectl(['apply', '-f', '-'], manifest('bad', spec));
  } catch (err) {
    return (err as { stderr: string }).stderr;
  }
  assert.fail(`accepted ${JSON.stringify(spec)}`);
}

test('malformed durations are refused in words, not with a regular expression', async () => {
  const table: [object, string][] = [
    [{ rpo: '1 day' }, 'spec.rpo must be a duration such as 90m, 26h or 1h30m'],
    [{ rpo: '30s' }, 'spec.rpo must be at least 1m'],
    [{ ttl: '30d' }, 'spec.ttl must be a duration such as 720h or 168h'],
    [
      {
        hooks: [
          { name: 'db', selector: {}, container: 'c', pre: [{ command: ['true'], timeout: '2 minutes' }] },
        ],
      },
      'timeout must be a duration such as 30s, 90m or 1h30m',
    ],
  ];
  for (const [spec, message] of table) {
    const stderr = await refusal(spec);
    assert.ok(stderr.includes(message), stderr);
    assert.ok(!stderr.includes('should match'), `no pattern message: ${stderr}`);
  }
});

test('kubectl explain states the limits', async () => {
  const { stdout: rpo } = await kubectl(['explain', 'consistentbackups.spec.rpo']);
  assert.match(rpo.replace(/\s+/g, ' '), /at least 1m/);
  assert.match(rpo, /25h or 90m/);
});

test('kubectl get shows the problem, and the message with -o wide', async () => {
  await kubectl(['apply', '-f', '-'], manifest('orders', { schedule: '0 3 * * *' }));
  // The operator writes this status; written here directly to see how kubectl shows it.
  const status = {
    status: {
      phase: 'Scheduled',
      problem: {
        condition: 'StorageAvailable',
        reason: 'StorageLocationNotFound',
        message: 'BackupStorageLocation velero/nope does not exist',
      },
    },
  };
  await kubectl([
    'patch',
    '-n',
    'shop',
    'cbk',
    'orders',
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify(status),
  ]);
  const { stdout } = await kubectl(['get', '-n', 'shop', 'cbk', 'orders']);
  const [header, row] = stdout.split('\n');
  assert.match(header ?? '', /PROBLEM/);
  assert.doesNotMatch(header ?? '', /MESSAGE/);
  assert.match(row ?? '', /StorageLocationNotFound/);
  const { stdout: wide } = await kubectl(['get', '-n', 'shop', 'cbk', 'orders', '-o', 'wide']);
  assert.match(wide, /MESSAGE/);
  assert.match(wide, /BackupStorageLocation velero\/nope does not exist/);
});
