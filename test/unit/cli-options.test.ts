import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionsError, parseOptions, usage } from '../../src/cli/options.ts';

test('defaults', () => {
  const o = parseOptions([], {});
  assert.equal(o.veleroNamespace, 'velero');
  assert.deepEqual(o.allowedVeleroNamespaces, ['velero']);
  assert.equal(o.concurrency, 4);
  assert.equal(o.leaderElect, false);
  assert.equal(o.leaderElectionNamespace, 'consistent-backup-system');
  assert.equal(o.metricsAddress, '127.0.0.1:8080');
  assert.equal(o.kubeconfig, undefined);
});

test('flags win over environment variables, which win over defaults', () => {
  const env = {
    CBO_VELERO_NAMESPACE: 'from-env',
    CBO_CONCURRENCY: '8',
    CBO_LEADER_ELECT: 'true',
    POD_NAMESPACE: 'ops',
  };
  const fromEnv = parseOptions([], env);
  assert.equal(fromEnv.veleroNamespace, 'from-env');
  assert.equal(fromEnv.concurrency, 8);
  assert.equal(fromEnv.leaderElect, true);
  assert.equal(fromEnv.leaderElectionNamespace, 'ops');
  const fromFlags = parseOptions(['--velero-namespace=flag', '--concurrency', '2'], env);
  assert.equal(fromFlags.veleroNamespace, 'flag');
  assert.equal(fromFlags.concurrency, 2);
});

test('the Velero namespace allow-list is trimmed, deduplicated and always include the Velero namespace', () => {
  const o = parseOptions(['--allowed-velero-namespaces', ' velero-b , velero '], {});
  assert.deepEqual(o.allowedVeleroNamespaces, ['velero', 'velero-b']);
});

test('served namespaces: all by default, else the listed ones once each', () => {
  assert.deepEqual(parseOptions([], {}).watchNamespaces, []);
  assert.deepEqual(parseOptions(['--watch-namespaces=a, b,a'], {}).watchNamespaces, ['a', 'b']);
  assert.deepEqual(parseOptions([], { CBO_WATCH_NAMESPACES: 'c' }).watchNamespaces, ['c']);
});

for (const [args, message] of [
  [['--concurrency=0'], /--concurrency must be a whole number from 1 to 64, not 0/],
  [['--concurrency=two'], /--concurrency must be a whole number/],
  [['--log-level=loud'], /--log-level must be error, warn, info or debug, not loud/],
  [['--no-such-flag'], /Unknown option '--no-such-flag'/],
] as const) {
  test(`rejects ${args.join(' ')} with a clear message`, () => {
    assert.throws(
      () => parseOptions([...args], {}),
      (err: unknown) => {
        assert.ok(err instanceof OptionsError);
        assert.match(err.message, message);
        return true;
      },
    );
  });
}

test('--help documents every flag with its environment variable', () => {
  const text = usage();
  for (const flag of [
    '--velero-namespace',
    '--leader-elect',
    '--concurrency',
    '--log-level',
    '--metrics-bind-address',
  ]) {
    assert.match(text, new RegExp(`${flag}\\s`));
  }
  assert.match(text, /\[\$CBO_VELERO_NAMESPACE\]/);
});
