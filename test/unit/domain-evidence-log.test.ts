import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readHookLog, type HookLogEvent } from '../../src/domain/evidence/velero-log.ts';
import { execution, failure, log, logLine, NOISE, run, stdout, type Exec } from './velero-log-lines.ts';

const db: Exec = { hook: 'db', phase: 'pre', container: 'postgres' };
const dbPost: Exec = { ...db, phase: 'post' };
const annotation: Exec = { hook: '', phase: 'pre', container: 'app', source: 'annotation' };
const ran = (e: Exec, hook = e.hook): HookLogEvent => ({
  kind: 'run',
  hook,
  phase: e.phase,
  container: e.container ?? 'postgres',
});
const out = (hook: string, text: string): HookLogEvent => ({ kind: 'stdout', hook, text });
const failed = (phase: 'pre' | 'post', error: string, source = 'spec'): HookLogEvent => ({
  kind: 'error',
  phase,
  error,
  source,
});

const table: [string, string, HookLogEvent[]][] = [
  // [case, log, events]
  [
    'a pre and a post hook that succeed: runs and their stdout, stderr ignored',
    log(execution(db, { out: 'cbo.checkpoint preset=postgresql lsn=0/15B3D80\n' }), execution(dbPost)),
    [ran(db), out('db', 'cbo.checkpoint preset=postgresql lsn=0/15B3D80\n'), ran(dbPost), out('db', '')],
  ],
  [
    'a command that exits non-zero: its output, then the error without a hook name',
    log(execution(db, { out: 'checkpoint failed\n', error: 'command terminated with exit code 1' })),
    [ran(db), out('db', 'checkpoint failed\n'), failed('pre', 'command terminated with exit code 1')],
  ],
  [
    'a missing container: only the error',
    log(failure('pre', 'no such container: "mysql"')),
    [failed('pre', 'no such container: "mysql"')],
  ],
  [
    'a timeout: no output',
    log(execution(dbPost, { timedOut: true })),
    [ran(dbPost), failed('post', 'timed out after 1s')],
  ],
  [
    "a pod's annotation hook: Velero names it <from-annotation>",
    log(execution(annotation, { error: 'command terminated with exit code 2' })),
    [
      ran(annotation, '<from-annotation>'),
      out('<from-annotation>', ''),
      failed('pre', 'command terminated with exit code 2', 'annotation'),
    ],
  ],
  ['lines that are not hook executions, even with hook fields', log(NOISE), []],
  [
    'a pod that finished before its post hooks: Velero runs nothing but counts it attempted, so it is one',
    log(
      logLine('info', 'Pod entered phase Succeeded before some post-backup exec hooks ran', {
        hookName: 'db',
        hookContainer: 'postgres',
        hookPhase: 'post',
        logSource: 'pkg/podexec/pod_command_executor.go:129',
      }),
    ),
    [ran(dbPost)],
  ],
  [
    'a run without a phase Velero knows is not counted',
    log(run(db).replace('hookPhase=pre', 'hookPhase=restore')),
    [],
  ],
  [
    'output lines without a hook name are not hook output',
    log(stdout(db, 'x').replace('hookName=db ', '')),
    [],
  ],
  ['an empty log', '', []],
  [
    'Windows line ends and a missing last newline',
    [...execution(db, { out: 'ok' })].join('\r\n'),
    [ran(db), out('db', 'ok')],
  ],
];

for (const [what, text, events] of table) {
  test(`readHookLog: ${what}`, () => assert.deepEqual(readHookLog(text), events));
}
