// Debian has MariaDB but no MySQL server, so the MySQL-only branch of the mysql preset (SHOW BINARY LOG
// STATUS from 8.2 on, gtid_executed) is checked here against a test stand-in for the client that answers
// VERSION() as the given server would and logs the SQL it is sent. The MariaDB branch is also proven against
// a real server in test/integration/presets-mysql.test.ts.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { expandValid } from '../databases/hooks.ts';
import { killProcesses, processesMentioning, runExecHook } from '../databases/run-hook.ts';

// The holder's answers follow MySQL 8.4's SHOW BINARY LOG STATUS columns: File, Position, Binlog_Do_DB,
// Binlog_Ignore_DB, Executed_Gtid_Set.
const STAND_IN_CLIENT = String.raw`#!/bin/sh
sql=; prev=
for arg in "$@"; do [ "$prev" = -e ] && sql=$arg; prev=$arg; done
printf '%s\n----\n' "$sql" >>"$STANDIN/sql"
case $sql in
  *'SELECT VERSION()'*) cat "$STANDIN/version" ;;
  *'FLUSH TABLES WITH READ LOCK'*)
    echo 'cbo-connection 41'
    echo cbo-binlog-begin
    case $sql in *'STATUS;'*) printf 'binlog.000007\t4711\t\t\t3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77\n' ;; esac
    echo cbo-binlog-end
    echo 'cbo-gtid 3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77'
    echo cbo-ready
    exec sleep 60 ;;
  *PROCESSLIST*) echo 0 ;;
esac
`;

const root = mkdtempSync(join(tmpdir(), 'cbo-mysql-versions-'));
const bin = join(root, 'bin');
mkdirSync(bin);
writeFileSync(join(bin, 'mysql'), STAND_IN_CLIENT);
chmodSync(join(bin, 'mysql'), 0o755);
after(() => {
  killProcesses(processesMentioning(root));
  rmSync(root, { recursive: true, force: true });
});

const servers = [
  { version: '8.4.3', status: 'SHOW BINARY LOG STATUS', gtid: '@@GLOBAL.gtid_executed' },
  { version: '9.1.0', status: 'SHOW BINARY LOG STATUS', gtid: '@@GLOBAL.gtid_executed' },
  { version: '8.0.39', status: 'SHOW MASTER STATUS', gtid: '@@GLOBAL.gtid_executed' },
  { version: '5.7.44-log', status: 'SHOW MASTER STATUS', gtid: '@@GLOBAL.gtid_executed' },
  { version: '11.4.2-MariaDB-ubu2404', status: 'SHOW MASTER STATUS', gtid: '@@GLOBAL.gtid_binlog_pos' },
];

describe('mysql preset across server versions (stand-in client)', { concurrency: true }, () => {
  for (const { version, status, gtid } of servers) {
    it(`${version}: asks ${status} and ${gtid}, and reports the coordinates`, async () => {
      const dir = join(root, version);
      mkdirSync(dir);
      writeFileSync(join(dir, 'version'), `${version}\t1\n`);
      const hooks = expandValid({
        name: 'mysql',
        parameters: { client: 'mysql', stateDir: join(dir, 'state') },
      });
      const env = { PATH: `${bin}:/usr/bin:/bin`, STANDIN: dir };
      const pre = await runExecHook(hooks.pre, { shell: 'dash', env });
      assert.equal(pre.code, 0, pre.stderr);
      const holderSql = readFileSync(join(dir, 'sql'), 'utf8').split('----\n')[1] ?? '';
      assert.match(holderSql, new RegExp(`^${status};$`, 'm'));
      assert.ok(holderSql.includes(`COALESCE(${gtid}, '')`), holderSql);
      assert.deepEqual(pre.markers.find((m) => m.event === 'binlog')?.fields, {
        file: 'binlog.000007',
        position: '4711',
        gtid: '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77',
      });
      const post = await runExecHook(hooks.post!, { shell: 'dash', env });
      assert.equal(post.code, 0, post.stderr);
      assert.match(readFileSync(join(dir, 'sql'), 'utf8'), /^KILL CONNECTION 41$/m);
    });
  }

  it('reports a disabled binary log instead of asking for its position', async () => {
    const dir = join(root, 'no-binlog');
    mkdirSync(dir);
    writeFileSync(join(dir, 'version'), '8.4.3\t0\n');
    const hooks = expandValid({
      name: 'mysql',
      parameters: { client: 'mysql', stateDir: join(dir, 'state') },
    });
    const env = { PATH: `${bin}:/usr/bin:/bin`, STANDIN: dir };
    const pre = await runExecHook(hooks.pre, { shell: 'dash', env });
    assert.equal(pre.code, 0, pre.stderr);
    assert.doesNotMatch(readFileSync(join(dir, 'sql'), 'utf8'), /STATUS;/);
    assert.deepEqual(pre.markers.find((m) => m.event === 'binlog')?.fields, { enabled: 'false' });
    assert.equal((await runExecHook(hooks.post!, { shell: 'dash', env })).code, 0);
  });
});
