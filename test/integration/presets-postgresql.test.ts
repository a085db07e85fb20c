// The postgresql preset against a real PostgreSQL server (Debian's package, started by the test), its script
// run with /bin/sh -c as Velero runs it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../harness/wait.ts';
import { expandValid } from '../databases/hooks.ts';
import { runExecHook, SHELLS, type HookRun } from '../databases/run-hook.ts';
import { installDatabases, startPostgres, type PostgresServer } from '../databases/servers.ts';

const PASSWORD = 'pg-secret-9';
// What the official image's container has: the superuser's password in POSTGRES_PASSWORD.
const CONTAINER_ENV = { POSTGRES_PASSWORD: PASSWORD };
let server: PostgresServer;
let requestedCheckpoints: string;

before(async () => {
  installDatabases();
  server = await startPostgres(PASSWORD);
  await server.sql('CREATE TABLE orders (id serial PRIMARY KEY, note text)');
  // PostgreSQL 17 moved the counter from pg_stat_bgwriter to pg_stat_checkpointer.
  const version = Number(await server.sql('SHOW server_version_num'));
  requestedCheckpoints =
    version >= 170000
      ? 'SELECT num_requested FROM pg_stat_checkpointer'
      : 'SELECT checkpoints_req FROM pg_stat_bgwriter';
});
after(async () => {
  await server?.stop();
});

function explain(run: HookRun): string {
  return `exit ${run.code}${run.timedOut ? ' (timed out)' : ''}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
}

function preHook(parameters: Record<string, string> = {}) {
  const hooks = expandValid({
    name: 'postgresql',
    parameters: {
      host: '127.0.0.1',
      port: String(server.port),
      ...parameters,
    },
  });
  assert.equal(hooks.post, undefined, 'the postgresql preset has no post hook');
  return hooks.pre;
}

for (const shell of SHELLS) {
  describe(`postgresql preset, script run by ${shell}`, () => {
    it('performs a checkpoint that covers the writes made before the hook', async () => {
      await server.sql(`INSERT INTO orders (note) VALUES ('before-${shell}')`);
      const walAfterWrite = await server.sql('SELECT pg_current_wal_lsn()');
      const checkpointsBefore = Number(await server.sql(requestedCheckpoints));

      const pre = await runExecHook(preHook(), { shell, env: CONTAINER_ENV });
      assert.equal(pre.code, 0, explain(pre));

      await waitFor(async () => Number(await server.sql(requestedCheckpoints)) > checkpointsBefore, {
        what: 'the requested-checkpoint counter to advance',
      });
      // Recovery starts at the checkpoint's redo point: it lies past the write, so replay will not need it.
      const redoPastWrite = await server.sql(
        `SELECT redo_lsn >= '${walAfterWrite}'::pg_lsn FROM pg_control_checkpoint()`,
      );
      assert.equal(redoPastWrite, 't');
      assert.match(
        pre.markers.find((m) => m.event === 'checkpoint')?.fields.lsn ?? '',
        /^[0-9A-F]+\/[0-9A-F]+$/,
      );
    });
  });
}

describe('postgresql preset failures', () => {
  it('says clearly when the password is wrong', async () => {
    const pre = await runExecHook(preHook(), { shell: 'dash', env: { POSTGRES_PASSWORD: 'wrong' } });
    assert.notEqual(pre.code, 0, explain(pre));
    assert.match(
      pre.stderr,
      /cannot connect to the server: .*password authentication failed for user "postgres"/s,
    );
    assert.equal(pre.markers.find((m) => m.event === 'error')?.fields.reason, 'connect');
  });

  it('says clearly when the user may not run CHECKPOINT, and works once granted pg_checkpoint', async () => {
    await server.sql("CREATE ROLE app LOGIN PASSWORD 'app-secret'");
    const env = { APP_DB_PASSWORD: 'app-secret' };
    const hook = preHook({ user: 'app', passwordEnv: 'APP_DB_PASSWORD' });
    const refused = await runExecHook(hook, { shell: 'dash', env });
    assert.notEqual(refused.code, 0, explain(refused));
    assert.match(
      refused.stderr,
      /CHECKPOINT failed .*pg_checkpoint.*: .*must be superuser or have privileges of pg_checkpoint/s,
    );

    await server.sql('GRANT pg_checkpoint TO app');
    const granted = await runExecHook(hook, { shell: 'dash', env });
    assert.equal(granted.code, 0, explain(granted));
  });
});
