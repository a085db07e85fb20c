import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsistentBackupSpec } from '../../src/api/consistent-backup.ts';
import { hookCommandsCondition } from '../../src/domain/hook-commands.ts';
import { consistentBackup, hook } from './domain-fixtures.ts';

test('HookCommandsSafe: a warning for commands that cannot work as a one-shot exec', () => {
  const table: [string, Partial<ConsistentBackupSpec>, 'True' | 'False' | undefined, string?, RegExp[]?][] = [
    // [case, spec, status, reason, message patterns]
    ['no hooks: no condition', {}, undefined],
    ['a plain CHECKPOINT', { hooks: [hook()] }, 'True', 'NoUnsafeHookCommand'],
    [
      'presets are not linted (their scripts hold and release correctly)',
      { hooks: [hook({ pre: undefined, preset: { name: 'mysql' } })] },
      'True',
      'NoUnsafeHookCommand',
    ],
    [
      'backup mode and an unheld read lock, each named by field and hook',
      {
        hooks: [
          hook({ name: 'pg', pre: [{ command: ['psql', '-c', "SELECT pg_backup_start('x')"] }] }),
          hook({
            name: 'my',
            pre: [{ command: ['/bin/true'] }],
            post: [{ command: ['mysql', '-e', 'FLUSH TABLES WITH READ LOCK'] }],
          }),
        ],
      },
      'False',
      'UnsafeHookCommand',
      [
        /^spec.hooks\[0\].pre\[0\] \(hook pg\): this pre hook calls pg_start_backup\/pg_backup_start/,
        /; spec.hooks\[1\].post\[0\] \(hook my\): this post hook runs FLUSH TABLES WITH READ LOCK/,
      ],
    ],
    [
      'fsfreeze without a self-thaw',
      { hooks: [hook({ pre: [{ command: ['fsfreeze', '-f', '/data'] }] })] },
      'False',
      'UnsafeHookCommand',
      [/fsfreeze -f without a detached timer/],
    ],
  ];
  for (const [what, spec, status, reason, messages] of table) {
    const c = hookCommandsCondition(consistentBackup(spec));
    assert.equal(c?.status, status, what);
    assert.equal(c?.type, status && 'HookCommandsSafe', what);
    assert.equal(c?.reason, reason, what);
    for (const m of messages ?? []) assert.match(c?.message ?? '', m, what);
  }
});
