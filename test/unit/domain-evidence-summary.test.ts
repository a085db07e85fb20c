import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BackupEvidence } from '../../src/api/consistent-backup.ts';
import type { VeleroHookResource } from '../../src/api/velero.ts';
import {
  ANNOTATION_HOOK_NAME,
  MAX_MARKER_LENGTH,
  MAX_MARKERS,
  summarizeEvidence,
  type VeleroRecords,
} from '../../src/domain/evidence/backup-evidence.ts';
import { consistentBackup, hookResource, veleroBackup } from './domain-fixtures.ts';
import {
  execution,
  failure,
  hookErrorEntry,
  log,
  NOISE,
  podHooksErrorEntry,
  resourceList,
  results,
  type Exec,
} from './velero-log-lines.ts';

const cr = consistentBackup();
const exec = (container: string, onError: 'Fail' | 'Continue' = 'Fail') => ({
  exec: { container, command: ['/bin/sh', '-c', 'true'], onError },
});
/** Hook db: the given pre and post actions in container postgres. */
const db = (pre: number, post = 0, onError: 'Fail' | 'Continue' = 'Fail'): VeleroHookResource =>
  hookResource({
    pre: Array.from({ length: pre }, () => exec('postgres', onError)),
    post: Array.from({ length: post }, () => exec('postgres', 'Continue')),
  });
const cache = hookResource({ name: 'cache', pre: [exec('redis')] });

const pre: Exec = { hook: 'db', phase: 'pre' };
const post: Exec = { hook: 'db', phase: 'post', onError: 'Continue' };
const CHECKPOINT = 'cbo.checkpoint preset=postgresql lsn=0/15B3D80';
const EXIT_1 = 'command terminated with exit code 1';
const clean = results();

const table: [string, VeleroHookResource[], VeleroRecords, BackupEvidence][] = [
  // [case, hooks of the Backup, records, evidence]
  [
    'success: pre and post in two pods, with the checkpoint each pre printed',
    [db(1, 1)],
    {
      log: log(
        NOISE,
        execution(pre, { out: `${CHECKPOINT}\n` }),
        execution(post),
        execution(pre, { out: `CHECKPOINT\n${CHECKPOINT}\n` }),
        execution(post),
      ),
      results: clean,
      resourceList: resourceList('other/db-0', 'shop/db-0', 'shop/db-1'),
    },
    {
      hooks: [{ name: 'db', expected: 4, attempted: 4, failed: 0 }],
      podsBackedUp: 2,
      markers: [`db: ${CHECKPOINT}`, `db: ${CHECKPOINT}`],
    },
  ],
  [
    'a pre hook fails with onError Fail: the 2nd pre is skipped but counted (as Velero counts it), the post neither, the pod left out',
    [db(2, 1)],
    {
      log: log(execution(pre, { out: 'no server\n', error: EXIT_1 })),
      results: results(hookErrorEntry(EXIT_1), podHooksErrorEntry('db-0', 'pre', EXIT_1)),
      // Velero flags the pod backed up so that it is skipped: the resource list names it all the same.
      resourceList: resourceList('shop/db-0'),
    },
    {
      hooks: [{ name: 'db', expected: 3, attempted: 2, failed: 1 }],
      podsBackedUp: 0,
      podsLeftOut: ['db-0'],
    },
  ],
  [
    'a pre hook fails with onError Continue: everything else runs, the pod is backed up',
    [db(2, 1, 'Continue')],
    {
      log: log(
        execution({ ...pre, onError: 'Continue' }, { error: EXIT_1 }),
        execution({ ...pre, onError: 'Continue' }),
        execution(post),
      ),
      results: results(hookErrorEntry(EXIT_1)),
      resourceList: resourceList('shop/db-0'),
    },
    { hooks: [{ name: 'db', expected: 3, attempted: 3, failed: 1 }], podsBackedUp: 1 },
  ],
  [
    'a missing container: no "running exec hook", counted by its container as Velero counts it',
    [db(1), cache],
    {
      log: log(execution(pre), failure('pre', 'no such container: "redis"')),
      results: results(
        hookErrorEntry('no such container: "redis"'),
        podHooksErrorEntry('db-0', 'pre', 'no such container: "redis"'),
      ),
      resourceList: resourceList('shop/db-0'),
    },
    {
      hooks: [
        { name: 'db', expected: 1, attempted: 1, failed: 0 },
        { name: 'cache', expected: 1, attempted: 1, failed: 1 },
      ],
      podsBackedUp: 0,
      podsLeftOut: ['db-0'],
    },
  ],
  [
    'a pre hook times out (no output), onError Continue: the post still runs',
    [db(1, 1, 'Continue')],
    {
      log: log(execution({ ...pre, onError: 'Continue' }, { timedOut: true }), execution(post)),
      results: results(hookErrorEntry('timed out after 1s')),
      resourceList: resourceList('shop/db-0'),
    },
    { hooks: [{ name: 'db', expected: 2, attempted: 2, failed: 1 }], podsBackedUp: 1 },
  ],
  [
    'a pre hook times out with onError Fail: the post is skipped, the pod left out',
    [db(1, 1)],
    {
      log: log(execution(pre, { timedOut: true })),
      results: results(
        hookErrorEntry('timed out after 1s'),
        podHooksErrorEntry('db-0', 'pre', 'timed out after 1s'),
      ),
      resourceList: resourceList('shop/db-0'),
    },
    { hooks: [{ name: 'db', expected: 2, attempted: 1, failed: 1 }], podsBackedUp: 0, podsLeftOut: ['db-0'] },
  ],
  [
    `a pod's own annotation hooks are "${ANNOTATION_HOOK_NAME}", expected as they ran`,
    [db(1)],
    {
      log: log(
        execution(pre),
        execution({ hook: '', phase: 'pre', source: 'annotation' }, { out: 'cbo.flush\n' }),
        execution({ hook: '', phase: 'post', source: 'annotation' }, { error: EXIT_1 }),
      ),
      results: results(hookErrorEntry(EXIT_1), podHooksErrorEntry('web-0', 'post', EXIT_1)),
      resourceList: resourceList('shop/db-0', 'shop/web-0'),
    },
    {
      hooks: [
        { name: 'db', expected: 1, attempted: 1, failed: 0 },
        { name: ANNOTATION_HOOK_NAME, expected: 2, attempted: 2, failed: 1 },
      ],
      podsBackedUp: 2,
      markers: [`${ANNOTATION_HOOK_NAME}: cbo.flush`],
    },
  ],
  [
    "an annotation hook's missing container is the annotation hook's, even when a spec hook uses that container",
    [db(1)],
    {
      log: log(failure('pre', 'no such container: "postgres"', 'annotation')),
      results: results(hookErrorEntry('no such container: "postgres"')),
      resourceList: resourceList('shop/db-0'),
    },
    {
      hooks: [
        { name: 'db', expected: 0, attempted: 0, failed: 0 },
        { name: ANNOTATION_HOOK_NAME, expected: 1, attempted: 1, failed: 1 },
      ],
      podsBackedUp: 1,
    },
  ],
  [
    'a declared hook that ran nowhere is listed with nothing attempted',
    [db(1), cache],
    { log: log(execution(pre)), results: clean, resourceList: resourceList('shop/db-0') },
    {
      hooks: [
        { name: 'db', expected: 1, attempted: 1, failed: 0 },
        { name: 'cache', expected: 0, attempted: 0, failed: 0 },
      ],
      podsBackedUp: 1,
    },
  ],
  [
    'a pod that skipped the post action of a hook: expected counts the pods the phase that reached most',
    [db(1, 1)],
    {
      log: log(execution(pre), execution(post), execution(pre)),
      results: clean,
      resourceList: resourceList('shop/db-0', 'shop/db-1'),
    },
    { hooks: [{ name: 'db', expected: 4, attempted: 3, failed: 0 }], podsBackedUp: 2 },
  ],
  [
    'errors the log does not tie to an execution are unattributed',
    [db(1, 1)],
    {
      log: log(
        // Before anything ran.
        failure('pre', 'need at least 1 container'),
        // A post error right after a pre execution: not that one's.
        execution(pre),
        failure('post', EXIT_1),
        // A second error after an execution already answered by one.
        execution(post, { error: EXIT_1 }),
        failure('post', EXIT_1),
        // A missing container no hook of the Backup uses.
        failure('pre', 'no such container: "sidecar"'),
      ),
      results: results(hookErrorEntry(EXIT_1)),
      resourceList: resourceList('shop/db-0'),
    },
    {
      hooks: [{ name: 'db', expected: 2, attempted: 2, failed: 1 }],
      unattributedFailures: 4,
      podsBackedUp: 1,
    },
  ],
  [
    'only pre hook errors leave pods out: not post hook errors, nor errors about other items',
    [db(1)],
    {
      log: log(execution(pre)),
      results: results(
        podHooksErrorEntry('db-1', 'pre', EXIT_1),
        podHooksErrorEntry('db-1', 'pre', 'timed out after 1s'),
        podHooksErrorEntry('db-0', 'post', EXIT_1),
        ' name: /data-db-0 message: /Error backing up item error: /error taking snapshot of volume',
        ' resource: /pods name: /db-2 message: /Error backing up item error: /pods "db-2" not found',
      ),
      resourceList: resourceList('shop/db-0', 'shop/db-1'),
    },
    { hooks: [{ name: 'db', expected: 1, attempted: 1, failed: 0 }], podsBackedUp: 1, podsLeftOut: ['db-1'] },
  ],
  [
    'records that are not JSON: no pods known, the log still counts',
    [db(1)],
    { log: log(execution(pre)), results: '<html>', resourceList: '{"v1/Pod": "shop/db-0"}' },
    { hooks: [{ name: 'db', expected: 1, attempted: 1, failed: 0 }], podsBackedUp: 0 },
  ],
  [
    'an empty log: every declared hook with nothing attempted',
    [db(1, 1)],
    { log: '', results: clean, resourceList: resourceList() },
    { hooks: [{ name: 'db', expected: 0, attempted: 0, failed: 0 }], podsBackedUp: 0 },
  ],
];

describe("summarizeEvidence: Velero's records of a backup -> status.history[].evidence", () => {
  for (const [what, hooks, records, expected] of table) {
    test(what, () => {
      const backup = veleroBackup(cr, 'b1', { phase: 'Completed' }, { hooks });
      assert.deepEqual(summarizeEvidence(backup, records), expected);
    });
  }
});

describe('summarizeEvidence keeps status small', () => {
  const backup = veleroBackup(cr, 'b1', { phase: 'Completed' }, { hooks: [db(1)] });
  const summarize = (records: Partial<VeleroRecords>) =>
    summarizeEvidence(backup, { log: '', results: clean, resourceList: resourceList(), ...records });

  test('markers: only "cbo." lines, prefixed with the hook name, in log order, bounded', () => {
    const output = [
      'CHECKPOINT',
      'cbo',
      'xcbo.checkpoint lsn=1',
      'cbo.Checkpoint lsn=1',
      '  cbo.freeze preset=mysql file=binlog.000002 position=157  ',
      'cbo.done',
      `cbo.long ${'x'.repeat(400)}`,
    ].join('\n');
    const { markers } = summarize({ log: log(execution(pre, { out: output })) });
    assert.deepEqual(markers?.slice(0, 2), [
      'db: cbo.freeze preset=mysql file=binlog.000002 position=157',
      'db: cbo.done',
    ]);
    assert.equal(markers?.length, 3);
    assert.equal(markers?.[2]?.length, MAX_MARKER_LENGTH);
    assert.match(markers?.[2] ?? '', /^db: cbo\.long x+\.\.\.$/);
  });

  test(`at most ${MAX_MARKERS} markers, the last one saying how many more`, () => {
    const lines = Array.from({ length: 20 }, (_, i) => execution(pre, { out: `cbo.checkpoint n=${i}\n` }));
    const { markers } = summarize({ log: log(...lines) });
    assert.equal(markers?.length, MAX_MARKERS);
    assert.equal(markers?.[0], 'db: cbo.checkpoint n=0');
    assert.equal(markers?.[MAX_MARKERS - 2], `db: cbo.checkpoint n=${MAX_MARKERS - 2}`);
    assert.equal(markers?.at(-1), `... and ${20 - MAX_MARKERS + 1} more`);
  });

  test('at most 20 pods left out, the last entry saying how many more', () => {
    const entries = Array.from({ length: 25 }, (_, i) => podHooksErrorEntry(`db-${i}`, 'pre', EXIT_1));
    const { podsLeftOut } = summarize({ results: results(...entries) });
    assert.equal(podsLeftOut?.length, 20);
    assert.equal(podsLeftOut?.[0], 'db-0');
    assert.equal(podsLeftOut?.at(-1), '... and 6 more');
  });

  test('at most 33 hooks (32 declared and the annotation hooks), the declared ones first', () => {
    const many = Array.from({ length: 40 }, (_, i) => execution({ hook: `h${i}`, phase: 'pre' }));
    const { hooks } = summarize({ log: log(...many) });
    assert.equal(hooks?.length, 33);
    assert.equal(hooks?.[0]?.name, 'db');
    assert.deepEqual(hooks?.[1], { name: 'h0', expected: 1, attempted: 1, failed: 0 });
  });
});
