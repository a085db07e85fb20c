import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lintHookCommand, type HookLintCode } from '../../src/hooks/lint.ts';
import { expandPreset } from '../../src/hooks/presets/expand.ts';
import { PRESET_NAMES } from '../../src/hooks/presets/definition.ts';

const sh = (script: string) => ['/bin/sh', '-c', script];

const cases: { name: string; command: string[]; codes: HookLintCode[] }[] = [
  { name: 'a plain checkpoint', command: ['psql', '-c', 'CHECKPOINT'], codes: [] },
  {
    name: 'pg_backup_start in a one-shot psql',
    command: ['psql', '-c', "SELECT pg_backup_start('velero')"],
    codes: ['BackupModeCall'],
  },
  {
    name: 'pg_start_backup (removed in PostgreSQL 15)',
    command: sh('psql -c "select pg_start_backup(\'x\', true)"'),
    codes: ['BackupModeCall'],
  },
  {
    name: 'FLUSH TABLES WITH READ LOCK in the exec session',
    command: ['mysql', '-e', 'FLUSH TABLES WITH READ LOCK'],
    codes: ['ReadLockWithoutHeldSession'],
  },
  {
    name: 'FTWRL with a sleep but still in the exec session (released when the exec ends)',
    command: sh('mysql -e "flush tables with read lock; do sleep(30)" && echo done 2>&1'),
    codes: ['ReadLockWithoutHeldSession'],
  },
  {
    name: 'FLUSH TABLES t1, t2 WITH READ LOCK',
    command: ['mysql', '-e', 'FLUSH TABLES shop.orders, shop.items WITH READ LOCK'],
    codes: ['ReadLockWithoutHeldSession'],
  },
  {
    name: 'FTWRL held by a detached session that sleeps',
    command: sh('setsid mysql -e "FLUSH TABLES WITH READ LOCK; DO SLEEP(60)" </dev/null >/tmp/h.out 2>&1 &'),
    codes: [],
  },
  {
    name: 'FTWRL held by a background session without a bound',
    command: sh('nohup mysql -e "FLUSH TABLES WITH READ LOCK; SELECT 1" >/tmp/h 2>&1 &'),
    codes: ['FreezeWithoutTimeBound'],
  },
  { name: 'fsfreeze -f alone', command: ['fsfreeze', '-f', '/data'], codes: ['FreezeWithoutSelfRelease'] },
  {
    name: 'fsfreeze --freeze alone',
    command: ['fsfreeze', '--freeze', '/data'],
    codes: ['FreezeWithoutSelfRelease'],
  },
  { name: 'fsfreeze -u (the thaw of a post hook)', command: ['fsfreeze', '-u', '/data'], codes: [] },
  {
    name: 'fsfreeze -f with a thaw that is not detached',
    command: sh('fsfreeze -f /data && sleep 10 && fsfreeze -u /data'),
    codes: ['FreezeWithoutSelfRelease'],
  },
  {
    name: 'fsfreeze -f with a detached timed thaw',
    command: sh('(sleep 60; fsfreeze -u /data) >/dev/null 2>&1 & fsfreeze -f /data'),
    codes: [],
  },
  {
    name: 'fsfreeze -f with a detached thaw but no bound',
    command: sh('setsid fsfreeze -u /data & fsfreeze -f /data'),
    codes: ['FreezeWithoutTimeBound'],
  },
  {
    name: 'db.fsyncLock() alone',
    command: ['mongosh', '--eval', 'db.fsyncLock()'],
    codes: ['FreezeWithoutSelfRelease'],
  },
  {
    name: 'fsync with lock:true as a command document',
    command: ['mongosh', '--eval', 'db.adminCommand({ fsync: 1, lock: true })'],
    codes: ['FreezeWithoutSelfRelease'],
  },
  {
    name: 'fsyncLock with a detached timed unlock',
    command: sh(
      'nohup sh -c "sleep 60; mongosh --eval \'db.fsyncUnlock()\'" >/dev/null 2>&1 & mongosh --eval "db.fsyncLock()"',
    ),
    codes: [],
  },
  { name: 'fsyncUnlock (a post hook)', command: ['mongosh', '--eval', 'db.fsyncUnlock()'], codes: [] },
  { name: 'redis BGSAVE', command: ['redis-cli', 'BGSAVE'], codes: [] },
  {
    name: 'pg_backup_start and fsfreeze together',
    command: sh('psql -c "select pg_backup_start(\'x\')"; fsfreeze -f /data'),
    codes: ['BackupModeCall', 'FreezeWithoutSelfRelease'],
  },
];

describe('lintHookCommand', () => {
  for (const { name, command, codes } of cases) {
    it(name, () => {
      const warnings = lintHookCommand('pre', command);
      assert.deepEqual(
        warnings.map((w) => w.code),
        codes,
      );
      for (const warning of warnings) assert.match(warning.message, /^this pre hook /);
    });
  }

  it('names the phase and the preset that does it right', () => {
    const [warning] = lintHookCommand('post', ['mysql', '-e', 'FLUSH TABLES WITH READ LOCK']);
    assert.match(warning?.message ?? '', /^this post hook runs FLUSH TABLES WITH READ LOCK .*preset.*mysql/);
  });

  it('finds nothing to warn about in the presets’ own scripts', () => {
    for (const name of PRESET_NAMES) {
      const expansion = expandPreset({ name, parameters: name === 'fsfreeze' ? { mountPath: '/data' } : {} });
      assert.ok(!('problems' in expansion), name);
      for (const hook of expansion.pre)
        assert.deepEqual(lintHookCommand('pre', hook.command), [], `${name} pre`);
      for (const hook of expansion.post)
        assert.deepEqual(lintHookCommand('post', hook.command), [], `${name} post`);
    }
  });
});
