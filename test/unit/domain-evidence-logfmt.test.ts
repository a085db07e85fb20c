import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLogfmt } from '../../src/domain/evidence/logfmt.ts';

const table: [string, string, Record<string, string>][] = [
  // [case, line, fields]
  [
    'bare values',
    'level=info hookPhase=pre hookType=exec',
    { level: 'info', hookPhase: 'pre', hookType: 'exec' },
  ],
  [
    'quoted values keep their spaces and equals signs',
    'msg="stdout: cbo.checkpoint preset=postgresql lsn=0/15B3D80" hookTimeout="{30s}"',
    { msg: 'stdout: cbo.checkpoint preset=postgresql lsn=0/15B3D80', hookTimeout: '{30s}' },
  ],
  [
    "Go's escapes inside quotes",
    String.raw`msg="stdout: a\nb\tc\r\n" error="no such container: \"x\"" path="C:\\tmp"`,
    { msg: 'stdout: a\nb\tc\r\n', error: 'no such container: "x"', path: 'C:\\tmp' },
  ],
  [
    'an escape it does not know stays as written',
    String.raw`msg="bell \x07 here"`,
    { msg: String.raw`bell \x07 here` },
  ],
  [
    'an empty value (logrus does not quote it)',
    'msg="stderr: " hookContainer= hookType=exec',
    {
      msg: 'stderr: ',
      hookContainer: '',
      hookType: 'exec',
    },
  ],
  ['an empty quoted value', 'msg="" level=info', { msg: '', level: 'info' }],
  ['runs of spaces between fields', 'a=1   b=2 ', { a: '1', b: '2' }],
  ['a repeated key: the last one wins', 'a=1 a=2', { a: '2' }],
  [
    'characters logrus quotes and Velero uses: <, >, [, ]',
    'hookName="<from-annotation>" hookCommand="[/bin/sh -c echo hi]"',
    { hookName: '<from-annotation>', hookCommand: '[/bin/sh -c echo hi]' },
  ],
  [
    'a tail that is not key=value is dropped, never guessed at',
    'level=info not a field=x b=2',
    { level: 'info' },
  ],
  ['an empty key ends the line', 'a=1 =2 b=3', { a: '1' }],
  ['no fields at all', 'panic: something went wrong', {}],
  ['an empty line', '', {}],
  [
    'a whole line of Velero v1.18 backup log',
    'time="2026-12-02T10:00:00Z" level=info msg="running exec hook" backup=velero/b1 hookCommand="[/bin/sh -c echo hi]" hookContainer=db hookName=db hookOnError=Fail hookPhase=pre hookSource=spec hookTimeout="{30s}" hookType=exec logSource="pkg/podexec/pod_command_executor.go:133"',
    {
      time: '2026-12-02T10:00:00Z',
      level: 'info',
      msg: 'running exec hook',
      backup: 'velero/b1',
      hookCommand: '[/bin/sh -c echo hi]',
      hookContainer: 'db',
      hookName: 'db',
      hookOnError: 'Fail',
      hookPhase: 'pre',
      hookSource: 'spec',
      hookTimeout: '{30s}',
      hookType: 'exec',
      logSource: 'pkg/podexec/pod_command_executor.go:133',
    },
  ],
];

for (const [what, line, fields] of table) {
  test(`parseLogfmt: ${what}`, () => assert.deepEqual(parseLogfmt(line), fields));
}
