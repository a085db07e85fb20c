import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConsistentBackupSpec } from '../../src/api/consistent-backup.ts';
import { summarizePod, type PodFields, type PodSummary } from '../../src/domain/pod-summary.ts';
import { preflightHooks, type HookProblemReason } from '../../src/domain/preflight.ts';
import { consistentBackup, hook, pod } from './domain-fixtures.ts';

describe('a Pod becomes a PodSummary', () => {
  const table: [string, PodFields, Partial<PodSummary>][] = [
    [
      'running pod with two containers',
      {
        metadata: { namespace: 'shop', name: 'db-0', labels: { app: 'db' } },
        spec: { containers: [{ name: 'postgres' }, { name: 'exporter' }] },
        status: { phase: 'Running' },
      },
      {
        namespace: 'shop',
        name: 'db-0',
        labels: { app: 'db' },
        phase: 'Running',
        containers: ['postgres', 'exporter'],
        hookAnnotations: { pre: false, post: false },
      },
    ],
    [
      'pre and post command annotations',
      {
        metadata: {
          annotations: {
            'pre.hook.backup.velero.io/command': '["/bin/sync"]',
            'post.hook.backup.velero.io/command': 'true',
          },
        },
      },
      { hookAnnotations: { pre: true, post: true } },
    ],
    [
      "the legacy unphased key is Velero's pre hook",
      { metadata: { annotations: { 'hook.backup.velero.io/command': 'sync' } } },
      { hookAnnotations: { pre: true, post: false } },
    ],
    [
      'an empty command annotation is ignored, as Velero does; other hook annotations alone override nothing',
      {
        metadata: {
          annotations: {
            'pre.hook.backup.velero.io/command': '',
            'post.hook.backup.velero.io/container': 'app',
          },
        },
      },
      { hookAnnotations: { pre: false, post: false } },
    ],
    [
      'labelled velero.io/exclude-from-backup=true: Velero leaves it out',
      { metadata: { labels: { app: 'db', 'velero.io/exclude-from-backup': 'true' } } },
      { excludedFromBackup: true },
    ],
    [
      'only the value "true" excludes, as in Velero',
      { metadata: { labels: { 'velero.io/exclude-from-backup': 'yes' } } },
      { excludedFromBackup: false },
    ],
    [
      'nothing reported yet',
      {},
      { namespace: '', name: '', labels: {}, phase: '', containers: [], excludedFromBackup: false },
    ],
  ];
  for (const [what, fields, expected] of table) {
    test(what, () => {
      const summary = summarizePod(fields);
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual(summary[key as keyof PodSummary], value, key);
      }
    });
  }
});

/** A pod the default hook() selects, labelled so that Velero leaves it out of every backup. */
function excluded(name: string, overrides: Partial<PodSummary> = {}): PodSummary {
  return pod(name, {
    labels: { app: 'orders-db', 'velero.io/exclude-from-backup': 'true' },
    excludedFromBackup: true,
    ...overrides,
  });
}

interface ExpectedHook {
  targets: string[];
  executions: number;
  reasons: HookProblemReason[];
  /** Patterns the hook's problems must match, in order. */
  messages?: RegExp[];
}

describe('preflight: where each hook runs, as Velero will see it', () => {
  const pre = [{ command: ['/bin/sync'] }];
  const prePost = { pre, post: [{ command: ['/bin/true'] }] };
  const table: [
    string,
    Partial<ConsistentBackupSpec>,
    PodSummary[],
    Record<string, ExpectedHook>,
    { total: number; annotation?: number; withoutTarget: string[] },
  ][] = [
    // [case, spec, pods, per hook, totals]
    [
      'every pod ready: pre and post actions in each',
      { hooks: [hook(prePost)] },
      [pod('db-1'), pod('db-0')],
      { db: { targets: ['db-0', 'db-1'], executions: 4, reasons: [] } },
      { total: 4, withoutTarget: [] },
    ],
    [
      'pods of other namespaces are never considered, even with matching labels',
      { hooks: [hook()] },
      [pod('db-0', { namespace: 'other' }), pod('db-0', { namespace: 'shop-2' })],
      { db: { targets: [], executions: 0, reasons: ['NoMatchingPods'], messages: [/namespace shop /] } },
      { total: 0, withoutTarget: ['db'] },
    ],
    [
      'selector matches no pod',
      { hooks: [hook()] },
      [pod('web-0', { labels: { app: 'web' } })],
      { db: { targets: [], executions: 0, reasons: ['NoMatchingPods'] } },
      { total: 0, withoutTarget: ['db'] },
    ],
    [
      'a Pending and a finished pod',
      { hooks: [hook()] },
      [pod('db-0'), pod('db-1', { phase: 'Pending' }), pod('db-2', { phase: 'Succeeded' })],
      {
        db: {
          targets: ['db-0'],
          executions: 1,
          reasons: ['PodNotRunning', 'PodNotRunning'],
          messages: [/^pod db-1 is Pending, not Running/, /^pod db-2 is Succeeded: Velero skips hooks/],
        },
      },
      { total: 1, withoutTarget: [] },
    ],
    [
      'container missing',
      { hooks: [hook({ container: 'mysql' })] },
      [pod('db-0')],
      {
        db: {
          targets: [],
          executions: 0,
          reasons: ['ContainerNotFound'],
          messages: [/^pod db-0 has no container mysql \(it has postgres, metrics\)$/],
        },
      },
      { total: 0, withoutTarget: ['db'] },
    ],
    [
      'a pre annotation replaces the pre actions; the post ones still run and the annotation counts once',
      { hooks: [hook(prePost)] },
      [pod('db-0', { hookAnnotations: { pre: true, post: false } }), pod('db-1')],
      {
        db: {
          targets: ['db-0', 'db-1'],
          executions: 3,
          reasons: ['OverriddenByAnnotation'],
          messages: [
            /^pod db-0 has Velero pre hook annotations, which replace this hook's pre actions there$/,
          ],
        },
      },
      { total: 4, annotation: 1, withoutTarget: [] },
    ],
    [
      'annotations for every phase the hook uses: the hook runs nowhere',
      { hooks: [hook()] },
      [pod('db-0', { hookAnnotations: { pre: true, post: true } })],
      {
        db: {
          targets: [],
          executions: 0,
          reasons: ['OverriddenByAnnotation'],
          messages: [/pre actions there, so none of them runs$/],
        },
      },
      { total: 2, annotation: 2, withoutTarget: ['db'] },
    ],
    [
      'a post annotation does not touch a hook with only pre actions',
      { hooks: [hook()] },
      [pod('db-0', { hookAnnotations: { pre: false, post: true } })],
      { db: { targets: ['db-0'], executions: 1, reasons: [] } },
      { total: 2, annotation: 1, withoutTarget: [] },
    ],
    [
      "a pod the backup's label selector leaves out",
      { labelSelector: { matchLabels: { backup: 'yes' } }, hooks: [hook()] },
      [pod('db-0', { labels: { app: 'orders-db', backup: 'yes' } }), pod('db-1')],
      {
        db: {
          targets: ['db-0'],
          executions: 1,
          reasons: ['PodsExcludedFromBackup'],
          messages: [/^pod db-1 is left out by spec.labelSelector/],
        },
      },
      { total: 1, withoutTarget: [] },
    ],
    [
      'a pod labelled velero.io/exclude-from-backup=true runs no hook, its annotations count for nothing',
      { hooks: [hook()] },
      [pod('db-0'), excluded('db-1', { hookAnnotations: { pre: true, post: true } })],
      {
        db: {
          targets: ['db-0'],
          executions: 1,
          reasons: ['PodsExcludedFromBackup'],
          messages: [
            /^pod db-1 is labelled velero.io\/exclude-from-backup=true, and Velero runs hooks only in pods it backs up$/,
          ],
        },
      },
      { total: 1, withoutTarget: [] },
    ],
    [
      'every pod labelled velero.io/exclude-from-backup=true: the hook has no target',
      { hooks: [hook()] },
      [excluded('db-0'), excluded('db-1', { hookAnnotations: { pre: true, post: false } })],
      {
        db: {
          targets: [],
          executions: 0,
          reasons: ['PodsExcludedFromBackup', 'PodsExcludedFromBackup'],
          messages: [/^pod db-0 is labelled velero.io\/exclude-from-backup=true/, /^pod db-1 is labelled/],
        },
      },
      { total: 0, withoutTarget: ['db'] },
    ],
    [
      'resources that leave every pod out',
      { includedResources: ['persistentvolumeclaims'], hooks: [hook()] },
      [pod('db-0', { hookAnnotations: { pre: true, post: false } })],
      {
        db: {
          targets: [],
          executions: 0,
          reasons: ['PodsExcludedFromBackup'],
          messages: [/^spec.includedResources leaves every pod out/],
        },
      },
      { total: 0, withoutTarget: ['db'] },
    ],
    [
      'presets count the actions they expand into',
      {
        hooks: [
          hook({ name: 'pg', pre: undefined, preset: { name: 'postgresql' } }),
          hook({ name: 'my', pre: undefined, preset: { name: 'mysql' } }),
        ],
      },
      [pod('db-0'), pod('db-1')],
      {
        pg: { targets: ['db-0', 'db-1'], executions: 2, reasons: [] },
        my: { targets: ['db-0', 'db-1'], executions: 4, reasons: [] },
      },
      { total: 6, withoutTarget: [] },
    ],
    [
      'an invalid preset runs nowhere and says why',
      { hooks: [hook({ pre: undefined, preset: { name: 'redis', parameters: { port: 'x' } } })] },
      [pod('db-0')],
      {
        db: {
          targets: [],
          executions: 0,
          reasons: ['InvalidHook'],
          messages: [/^spec.hooks\[0\].preset.parameters.port: preset redis: parameter port/],
        },
      },
      { total: 0, withoutTarget: ['db'] },
    ],
    [
      'two hooks in the same pod both run; annotated pods outside the hooks still count, unless not backed up or not running',
      {
        labelSelector: { matchExpressions: [{ key: 'skip', operator: 'DoesNotExist' }] },
        hooks: [hook({ name: 'flush' }), hook({ name: 'stats', container: 'metrics' })],
      },
      [
        pod('db-0'),
        pod('web-0', { labels: { app: 'web' }, hookAnnotations: { pre: true, post: true } }),
        pod('web-1', { labels: { app: 'web', skip: 'y' }, hookAnnotations: { pre: true, post: false } }),
        pod('web-2', {
          labels: { app: 'web' },
          phase: 'Pending',
          hookAnnotations: { pre: true, post: false },
        }),
      ],
      {
        flush: { targets: ['db-0'], executions: 1, reasons: [] },
        stats: { targets: ['db-0'], executions: 1, reasons: [] },
      },
      { total: 4, annotation: 2, withoutTarget: [] },
    ],
    [
      'no hooks: nothing expected',
      {},
      [pod('db-0', { hookAnnotations: { pre: true, post: true } })],
      {},
      { total: 0, withoutTarget: [] },
    ],
  ];
  for (const [what, spec, pods, hooks, totals] of table) {
    test(what, () => {
      const result = preflightHooks(consistentBackup(spec), pods);
      assert.deepEqual(
        result.hooks.map((h) => h.name),
        Object.keys(hooks),
      );
      for (const h of result.hooks) {
        const expected = hooks[h.name];
        assert.ok(expected);
        assert.deepEqual(h.targetPods, expected.targets, `${h.name}: targets`);
        assert.equal(h.expectedExecutions, expected.executions, `${h.name}: executions`);
        assert.deepEqual(
          h.problems.map((p) => p.reason),
          expected.reasons,
          `${h.name}: ${JSON.stringify(h.problems)}`,
        );
        (expected.messages ?? []).forEach((m, i) => assert.match(h.problems[i]?.message ?? '', m));
      }
      assert.equal(result.expectedExecutions, totals.total, 'total');
      assert.equal(result.annotationExecutions, totals.annotation ?? 0, 'annotation executions');
      assert.deepEqual(result.hooksWithoutTarget, totals.withoutTarget);
    });
  }

  test('status never names a pod of another namespace', () => {
    const cr = consistentBackup({ labelSelector: { matchLabels: { x: 'y' } }, hooks: [hook()] });
    const pods = [
      pod('secret-db', { namespace: 'other', hookAnnotations: { pre: true, post: true } }),
      pod('db-0', { phase: 'Pending' }),
    ];
    const text = JSON.stringify(preflightHooks(cr, pods));
    assert.ok(text.includes('db-0'));
    assert.ok(!text.includes('secret-db'), text);
  });
});
