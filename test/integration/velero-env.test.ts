// The real Velero environment itself (control plane, kwok, moto, velero server), before anything of the
// operator runs on it: what the end-to-end tests and `npm start` rely on.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { KubeRest, resourcePath } from '../../src/core/kube-rest.ts';
import { execInPod } from '../../src/local-cluster/pod-exec.ts';
import { controlPlaneOf, startPod, startVeleroEnv, type VeleroEnvironment } from '../harness/velero-env.ts';
import { waitFor } from '../harness/wait.ts';

const veleroResource = (env: VeleroEnvironment, plural: string) => ({
  apiVersion: 'velero.io/v1',
  plural,
  namespace: env.veleroNamespace,
});

const run = promisify(execFile);
const FINISHED = new Set(['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation']);

/** PIDs of processes whose command line or environment mentions `dir`: every process the environment started. */
async function processesUsing(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    const texts = await Promise.all(
      ['cmdline', 'environ'].map((f) => readFile(`/proc/${pid}/${f}`, 'utf8').catch(() => '')),
    );
    if (texts.some((t) => t.includes(dir))) found.push(`${pid}: ${texts[0]!.replaceAll('\0', ' ')}`);
  }
  return found;
}

describe('the real Velero environment', () => {
  let env: VeleroEnvironment;
  let rest: KubeRest;
  let hookDir: string;

  before(async () => {
    env = await startVeleroEnv();
    rest = new KubeRest(env.kubeConfig);
    hookDir = await realpath(await mkdtemp(join(tmpdir(), 'cbo-velero-env-test-')));
  });

  after(async () => {
    await env?.stop();
    if (hookDir) await rm(hookDir, { recursive: true, force: true });
  });

  test('the default BackupStorageLocation in the moto bucket is Available', async () => {
    const bsl = await rest.request<{
      spec: { objectStorage: { bucket: string }; config: Record<string, string> };
      status: { phase: string };
    }>('GET', resourcePath(veleroResource(env, 'backupstoragelocations'), env.storageLocation));
    assert.equal(bsl.status.phase, 'Available');
    assert.equal(bsl.spec.objectStorage.bucket, env.s3.bucket);
    assert.equal(bsl.spec.config.s3Url, env.s3.endpoint);
    assert.match(env.s3.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('a pod with an exec rule runs on the kwok node and exec runs there with its env in its workDir', async () => {
    await startPod(env, 'env-exec', 'db', {
      labels: { app: 'db' },
      exec: { workDir: hookDir, env: { CBO_TEST_IDENTITY: 'env-exec/db' } },
    });
    const result = await env.exec('env-exec', 'db', 'db', [
      '/bin/sh',
      '-c',
      'pwd; printf %s "$CBO_TEST_IDENTITY" > marker; echo done',
    ]);
    assert.equal(result.status.status, 'Success', JSON.stringify(result));
    assert.deepEqual(result.stdout.split('\n'), [hookDir, 'done', '']);
    assert.equal(await readFile(join(hookDir, 'marker'), 'utf8'), 'env-exec/db');

    const failing = await env.exec('env-exec', 'db', 'db', ['/bin/sh', '-c', 'echo oops >&2; exit 3']);
    assert.equal(failing.status.status, 'Failure');
    assert.match(failing.stderr, /oops/);
  });

  test('exec into a pod with a rule still needs pods/exec in RBAC', async () => {
    const { kubeConfig } = await controlPlaneOf(env).mintUser('no-exec-rights');
    const probe = join(hookDir, 'forbidden-exec');
    const result = await execInPod(kubeConfig, 'env-exec', 'db', 'db', [
      '/bin/sh',
      '-c',
      `touch ${probe}`,
    ]).then(
      (r) => `${r.status.status}: ${r.status.message ?? ''}`,
      (err: unknown) => `error: ${String(err)}`,
    );
    assert.match(result, /403|forbidden/i);
    assert.equal(existsSync(probe), false, result);
  });

  test('a pod without an exec rule gets no shell on the host', async () => {
    await startPod(env, 'env-no-rule', 'db');
    const probe = join(hookDir, 'must-not-exist');
    const result = await env.exec('env-no-rule', 'db', 'db', ['/bin/sh', '-c', `touch ${probe}`]).then(
      (r) => `${r.status.status}: ${r.status.message ?? ''}`,
      (err: unknown) => `error: ${String(err)}`,
    );
    assert.doesNotMatch(result, /^Success/);
    assert.equal(existsSync(probe), false, result);
  });

  test('a plain Velero Backup of a namespace is Completed, also after a Velero restart, and stored in the bucket', async () => {
    await env.restartVelero();
    const name = 'plain-env-exec';
    await rest.request('POST', resourcePath(veleroResource(env, 'backups')), {
      body: {
        apiVersion: 'velero.io/v1',
        kind: 'Backup',
        metadata: { name, namespace: env.veleroNamespace },
        spec: { includedNamespaces: ['env-exec'], storageLocation: env.storageLocation, ttl: '1h' },
      },
    });
    const backup = await waitFor(
      async () => {
        const b = await rest.request<{ status?: { phase?: string; progress?: { itemsBackedUp?: number } } }>(
          'GET',
          resourcePath(veleroResource(env, 'backups'), name),
        );
        const phase = b.status?.phase;
        return phase && FINISHED.has(phase) ? b : undefined;
      },
      { what: `Backup ${name} to finish`, timeoutMs: 120_000, intervalMs: 250 },
    );
    assert.equal(backup.status?.phase, 'Completed', JSON.stringify(backup.status));
    assert.ok((backup.status?.progress?.itemsBackedUp ?? 0) > 0, JSON.stringify(backup.status));
    const objects = await env.listObjects(`backups/${name}/`);
    assert.ok(objects.includes(`backups/${name}/${name}.tar.gz`), objects.join('\n'));
    assert.ok(objects.includes(`backups/${name}/velero-backup.json`), objects.join('\n'));
  });

  test('every port the environment listens on is on 127.0.0.1', async () => {
    const pids = new Set((await processesUsing(env.dir)).map((p) => p.split(':')[0]!));
    const { stdout } = await run('ss', ['-Hltnp']);
    const ours = stdout
      .split('\n')
      .filter((line) => [...line.matchAll(/pid=(\d+)/g)].some(([, pid]) => pids.has(pid!)));
    assert.ok(ours.length >= 6, `etcd, kube-apiserver, kwok, moto, velero listen:\n${stdout}`);
    for (const line of ours) assert.match(line.split(/\s+/)[3]!, /^127\.0\.0\.1:\d+$/, line);
  });

  test('stop() leaves no process and no temp dir behind', async () => {
    const dir = env.dir;
    assert.notDeepEqual(await processesUsing(dir), [], 'the environment runs processes before stop()');
    await env.stop();
    assert.equal(existsSync(dir), false);
    assert.deepEqual(await processesUsing(dir), []);
  });
});
