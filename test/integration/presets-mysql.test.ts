// The mysql preset against a real MariaDB server (Debian's package, started by the test with the binary log
// on), its scripts run with /bin/sh -c as Velero runs them, in dash and in busybox.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { freeLoopbackPort } from '../../src/local-cluster/ports.ts';
import { waitFor } from '../harness/wait.ts';
import { expandValid, stateDirectory } from '../databases/hooks.ts';
import { killProcesses, processesWhere, runExecHook, SHELLS, type HookRun } from '../databases/run-hook.ts';
import { installDatabases, startMariadb, type MariadbServer } from '../databases/servers.ts';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PASSWORD = 'root-secret-42';
// What the official image's container has: the root password in MARIADB_ROOT_PASSWORD, nothing else.
const CONTAINER_ENV = { MARIADB_ROOT_PASSWORD: PASSWORD };
let server: MariadbServer;

before(async () => {
  installDatabases();
  server = await startMariadb(PASSWORD);
  await server.sql(
    'CREATE DATABASE shop; CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(40)) ENGINE=InnoDB',
  );
});
after(async () => {
  if (server) killProcesses(holders(`--port=${server.port}`));
  await server?.stop();
});

/** Clients holding (or trying to take) the preset's lock through `connection` (`--port=...`, `--socket=...`). */
function holders(connection: string): number[] {
  return processesWhere((args) => args.includes(connection) && args.some((arg) => arg.includes('cbo-ready')));
}

function explain(run: HookRun): string {
  return `exit ${run.code}${run.timedOut ? ' (timed out)' : ''}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
}

/** An INSERT from another session that gives up after `waitSeconds` when the global read lock blocks it. */
function insert(note: string, waitSeconds: number): Promise<string> {
  return server.sql(
    `SET SESSION lock_wait_timeout = ${waitSeconds}; INSERT INTO shop.orders (note) VALUES ('${note}')`,
  );
}

async function rowsWithNote(note: string): Promise<number> {
  return Number(await server.sql(`SELECT COUNT(*) FROM shop.orders WHERE note = '${note}'`));
}

for (const shell of SHELLS) {
  describe(`mysql preset on MariaDB, scripts run by ${shell}`, () => {
    it('holds the read lock from pre to post, records the binlog position of the freeze, then releases', async () => {
      const hooks = expandValid({
        name: 'mysql',
        freezeBudget: '300s',
        parameters: { host: '127.0.0.1', port: String(server.port), stateDir: stateDirectory('mysql') },
      });
      await insert(`before-${shell}`, 5);

      const pre = await runExecHook(hooks.pre, { shell, env: CONTAINER_ENV });
      assert.equal(pre.code, 0, explain(pre));
      assert.equal(pre.timedOut, false, 'the pre hook must end while the holder goes on');
      const ready = pre.markers.find((m) => m.event === 'ready');
      assert.ok(ready?.fields.connection, explain(pre));

      await assert.rejects(insert(`during-${shell}`, 2), /Lock wait timeout exceeded/);
      const [file, position] = (await server.sql('SHOW MASTER STATUS')).split('\t');
      const gtid = await server.sql('SELECT @@GLOBAL.gtid_binlog_pos');
      assert.deepEqual(pre.markers.find((m) => m.event === 'binlog')?.fields, { file, position, gtid });
      assert.ok(gtid.length > 0, 'the server has GTIDs from the writes before the freeze');

      const post = await runExecHook(hooks.post!, { shell, env: CONTAINER_ENV });
      assert.equal(post.code, 0, explain(post));
      assert.equal(
        post.markers.find((m) => m.event === 'released')?.fields.connection,
        ready.fields.connection,
      );

      await insert(`after-${shell}`, 5);
      assert.equal(await rowsWithNote(`after-${shell}`), 1);
      assert.equal(
        await rowsWithNote(`during-${shell}`),
        0,
        'the write attempted during the freeze never happened',
      );
      const sessions = await server.sql(
        `SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ${ready.fields.connection}`,
      );
      assert.equal(sessions, '0');
      assert.deepEqual(holders(`--port=${server.port}`), []);
    });

    it('releases the lock by itself after the freeze budget when no post hook comes', async () => {
      const hooks = expandValid({
        name: 'mysql',
        freezeBudget: '3s',
        parameters: {
          host: '127.0.0.1',
          port: String(server.port),
          stateDir: stateDirectory('mysql-expiry'),
        },
      });
      const pre = await runExecHook(hooks.pre, { shell, env: CONTAINER_ENV });
      assert.equal(pre.code, 0, explain(pre));
      await assert.rejects(insert(`frozen-${shell}`, 1), /Lock wait timeout exceeded/);

      await waitFor(() => insert(`expired-${shell}`, 1).then(() => true), {
        what: 'writes to succeed again once the freeze budget has passed',
        timeoutMs: 60_000,
        intervalMs: 500,
      });
      assert.equal(await rowsWithNote(`expired-${shell}`), 1);
      await waitFor(() => holders(`--port=${server.port}`).length === 0, {
        what: 'the holder client to exit',
      });

      // A post hook that comes after the budget says the snapshot may not be consistent.
      const post = await runExecHook(hooks.post!, { shell, env: CONTAINER_ENV });
      assert.notEqual(post.code, 0, explain(post));
      assert.equal(post.markers.find((m) => m.event === 'error')?.fields.reason, 'expired', explain(post));
      assert.match(post.stderr, /already ended .* before the post hook ran/);
    });

    it('fails fast with a clear message and leaves nothing running when the server is unreachable', async () => {
      const closedPort = await freeLoopbackPort();
      const stateDir = stateDirectory('mysql-unreachable');
      const hooks = expandValid({
        name: 'mysql',
        parameters: { host: '127.0.0.1', port: String(closedPort), stateDir },
      });
      const pre = await runExecHook(hooks.pre, { shell, env: CONTAINER_ENV });
      assert.notEqual(pre.code, 0, explain(pre));
      assert.equal(pre.timedOut, false);
      assert.match(pre.stderr, /mysql pre hook: cannot connect to the server: .*Can't connect/s);
      assert.equal(pre.markers.find((m) => m.event === 'error')?.fields.reason, 'connect');
      assert.deepEqual(holders(`--port=${closedPort}`), []);
      assert.equal(existsSync(join(stateDir, 'holder.pid')), false);
    });
  });
}

describe('mysql preset on MariaDB, other connection settings', () => {
  it('connects over the Unix socket with the password from a file, and fails clearly when the lock is not granted in time', async () => {
    const stateDir = stateDirectory('mysql-socket');
    const passwordFile = join(stateDir, 'password');
    writeFileSync(passwordFile, `${PASSWORD}\n`);
    const hooks = expandValid({
      name: 'mysql',
      timeout: '2s',
      parameters: { socket: server.socket, passwordFile, stateDir },
    });

    // A session that holds a table write lock keeps FLUSH TABLES WITH READ LOCK waiting.
    const blocker = spawn(
      'mariadb',
      [`--socket=${server.socket}`, '--user=root', '-e', 'LOCK TABLES shop.orders WRITE; DO SLEEP(60)'],
      { env: { ...process.env, MYSQL_PWD: PASSWORD }, stdio: 'ignore' },
    );
    try {
      await waitFor(
        async () =>
          (await server.sql(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO = 'DO SLEEP(60)'",
          )) === '1',
        { what: 'the blocking session to hold its table lock' },
      );
      const blocked = await runExecHook(hooks.pre, { shell: 'dash', env: {} });
      assert.notEqual(blocked.code, 0, explain(blocked));
      assert.match(blocked.stderr, /FLUSH TABLES WITH READ LOCK failed: .*Lock wait timeout exceeded/s);
      assert.equal(existsSync(join(stateDir, 'holder.pid')), false);
      assert.deepEqual(holders(`--socket=${server.socket}`), [], 'the failed holder is not left running');
    } finally {
      blocker.kill('SIGKILL');
    }
    await waitFor(
      async () =>
        (await server.sql(
          "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO = 'DO SLEEP(60)'",
        )) === '0',
      { what: 'the blocking session to end' },
    );

    const pre = await runExecHook(hooks.pre, { shell: 'dash', env: {} });
    assert.equal(pre.code, 0, explain(pre));
    await assert.rejects(insert('socket-during', 1), /Lock wait timeout exceeded/);
    const post = await runExecHook(hooks.post!, { shell: 'dash', env: {} });
    assert.equal(post.code, 0, explain(post));
    await insert('socket-after', 5);
    assert.equal(await rowsWithNote('socket-after'), 1);
  });
});
