import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConsistentBackupSpec } from '../../src/api/consistent-backup.ts';
import { hookStatuses, hooksReadyCondition } from '../../src/domain/hooks-ready.ts';
import { missingHookTargets } from '../../src/domain/missing-hook-targets.ts';
import type { PodSummary } from '../../src/domain/pod-summary.ts';
import { preflightHooks } from '../../src/domain/preflight.ts';
import { consistentBackup, hook, pod } from './domain-fixtures.ts';

const cache = hook({ name: 'cache', selector: { matchLabels: { app: 'redis' } }, container: 'redis' });
const redis = (name: string, overrides: Partial<PodSummary> = {}) =>
  pod(name, { labels: { app: 'redis' }, containers: ['redis'], ...overrides });

const excludedPod = (name: string) =>
  pod(name, {
    labels: { app: 'orders-db', 'velero.io/exclude-from-backup': 'true' },
    excludedFromBackup: true,
  });

describe('HooksReady', () => {
  const table: [string, Partial<ConsistentBackupSpec>, PodSummary[], 'True' | 'False', string, RegExp][] = [
    // [case, spec, pods, status, reason, message]
    [
      'every hook runs in every pod it selects',
      { hooks: [hook(), cache] },
      [pod('db-0'), pod('db-1'), redis('redis-0')],
      'True',
      'HooksReady',
      /^every hook runs in every pod it selects; Velero should attempt 3 hook executions per backup$/,
    ],
    [
      'the most serious reason wins, every problem is in the message',
      { hooks: [hook(), cache] },
      [pod('db-0', { phase: 'Pending' }), pod('db-1', { hookAnnotations: { pre: true, post: false } })],
      'False',
      'NoMatchingPods',
      /^hooks db, cache have no running pod to run in: backups go ahead without them.*Proceed\)\. hook db: pod db-0 is Pending.*; pod db-1 has Velero pre hook annotations.*\. hook cache: no pod of namespace shop matches the selector$/,
    ],
    [
      'pods left out by the backup',
      { labelSelector: { matchLabels: { tier: 'data' } }, hooks: [hook()] },
      [pod('db-0')],
      'False',
      'PodsExcludedFromBackup',
      /pod db-0 is left out by spec.labelSelector/,
    ],
    [
      'one of two pods excluded from backups by its label: named, the other still a target',
      { hooks: [hook()] },
      [pod('db-0'), excludedPod('db-1')],
      'False',
      'PodsExcludedFromBackup',
      /^hook db: pod db-1 is labelled velero.io\/exclude-from-backup=true, and Velero runs hooks only in pods it backs up$/,
    ],
    [
      'every pod excluded from backups by its label: the hook has no target',
      { hooks: [hook()] },
      [excludedPod('db-0')],
      'False',
      'PodsExcludedFromBackup',
      /^hook db has no running pod to run in: backups go ahead without it .*hook db: pod db-0 is labelled velero.io\/exclude-from-backup=true/,
    ],
    [
      'a pod not running',
      { hooks: [hook()] },
      [pod('db-0', { phase: 'Failed' })],
      'False',
      'PodNotRunning',
      /db-0 is Failed/,
    ],
    [
      'a wrong container',
      { hooks: [hook({ container: 'pg' })] },
      [pod('db-0'), pod('db-1')],
      'False',
      'ContainerNotFound',
      /^hook db has no running pod.*hook db: pod db-0 has no container pg .*; pod db-1 has no container pg/,
    ],
    [
      'an annotation override alone',
      { hooks: [hook()] },
      [pod('db-0', { hookAnnotations: { pre: true, post: false } }), pod('db-1')],
      'False',
      'OverriddenByAnnotation',
      /^hook db: pod db-0 has Velero pre hook annotations/,
    ],
    [
      'Skip says that backups are held back, and that the Schedule is paused',
      { schedule: '0 2 * * *', onMissingHookTarget: 'Skip', hooks: [hook()] },
      [],
      'False',
      'NoMatchingPods',
      /^hook db has no running pod to run in: no backup is taken until it has one \(the Velero Schedule is paused meanwhile\) \(spec.onMissingHookTarget: Skip\)\. hook db: no pod/,
    ],
  ];
  for (const [what, spec, pods, status, reason, message] of table) {
    test(what, () => {
      const cr = consistentBackup(spec);
      const preflight = preflightHooks(cr, pods);
      const c = hooksReadyCondition(preflight, missingHookTargets(cr, preflight));
      assert.equal(c.type, 'HooksReady');
      assert.equal(c.status, status);
      assert.equal(c.reason, reason);
      assert.match(c.message, message);
    });
  }
});

describe('status.hooks', () => {
  test('per hook: matched pods, count, expected executions, problems naming pods', () => {
    const cr = consistentBackup({ hooks: [hook(), cache] });
    const preflight = preflightHooks(cr, [pod('db-1'), pod('db-0', { phase: 'Pending' }), redis('redis-0')]);
    assert.deepEqual(hookStatuses(preflight), [
      {
        name: 'db',
        matchedPods: ['db-0', 'db-1'],
        matchedPodCount: 2,
        expectedExecutions: 1,
        problems: ["pod db-0 is Pending, not Running: Velero's hook execs in it would fail"],
      },
      { name: 'cache', matchedPods: ['redis-0'], matchedPodCount: 1, expectedExecutions: 1, problems: [] },
    ]);
  });

  test('bounded, whatever the namespace holds', () => {
    const pods = Array.from({ length: 30 }, (_, i) =>
      pod(`db-${String(i).padStart(2, '0')}`, { phase: 'Pending' }),
    );
    const [db] = hookStatuses(preflightHooks(consistentBackup({ hooks: [hook()] }), pods));
    assert.equal(db?.matchedPods?.length, 20);
    assert.equal(db?.matchedPodCount, 30);
    assert.equal(db?.problems?.length, 20);
    assert.match(db?.problems?.[18] ?? '', /^pod db-18 /);
    assert.equal(db?.problems?.[19], '... and 11 more');
  });
});

describe('missing hook targets', () => {
  const table: [string, Partial<ConsistentBackupSpec>, PodSummary[] | undefined, string | undefined][] = [
    // [case, spec, pods (undefined: not known), message]
    ['every hook has a target', { hooks: [hook()] }, [pod('db-0')], undefined],
    ['pods not known: nothing is said to be missing', { hooks: [hook()] }, undefined, undefined],
    [
      'Proceed (the default)',
      { hooks: [hook(), cache] },
      [],
      'hooks db, cache have no running pod to run in: backups go ahead without them and are graded Inconsistent (spec.onMissingHookTarget: Proceed)',
    ],
    [
      'Skip, single backup',
      { onMissingHookTarget: 'Skip', hooks: [hook(), cache] },
      [pod('db-0')],
      'hook cache has no running pod to run in: no backup is taken until it has one (spec.onMissingHookTarget: Skip)',
    ],
  ];
  for (const [what, spec, pods, message] of table) {
    test(what, () => {
      const cr = consistentBackup(spec);
      const missing = missingHookTargets(cr, pods && preflightHooks(cr, pods));
      assert.equal(missing?.message, message);
      if (missing) assert.equal(missing.policy, spec.onMissingHookTarget ?? 'Proceed');
    });
  }
});
