// The redis preset against a real Redis server (Debian's package, started by the test), its script run with
// /bin/sh -c as Velero runs it. What counts is the RDB file on disk when the pre hook returns: it is loaded
// into a second server to see which writes it holds.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freeLoopbackPort } from '../../src/local-cluster/ports.ts';
import { waitFor } from '../harness/wait.ts';
import { expandValid } from '../databases/hooks.ts';
import { runExecHook, SHELLS, type HookRun } from '../databases/run-hook.ts';
import { installDatabases, startRedis, type RedisServer } from '../databases/servers.ts';

const PASSWORD = 'redis-secret-7';
// The container has the password in an environment variable from a Secret, as Bitnami's image does.
const CONTAINER_ENV = { REDIS_PASSWORD: PASSWORD };
const KEYS = 2000;
let server: RedisServer;

before(async () => {
  installDatabases();
  server = await startRedis(PASSWORD);
  await server.cli(
    'EVAL',
    "for i = 1, ARGV[1] do redis.call('SET', 'key:' .. i, i) end return 1",
    '0',
    String(KEYS),
  );
});
after(async () => {
  await server?.stop();
});

function explain(run: HookRun): string {
  return `exit ${run.code}${run.timedOut ? ' (timed out)' : ''}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
}

function preHook(timeout?: string) {
  return expandValid({
    name: 'redis',
    ...(timeout ? { timeout } : {}),
    parameters: { port: String(server.port) },
  }).pre;
}

async function persistence(): Promise<Record<string, string>> {
  const info = await server.cli('INFO', 'persistence');
  return Object.fromEntries(info.split(/\r?\n/).map((line) => line.split(':') as [string, string]));
}

/** Which of `keys` the RDB file on disk holds, read by a second server started from a copy of it. */
async function keysInRdbFile(keys: string[]): Promise<string[]> {
  const copy = await startRedis(PASSWORD, { rdbFile: join(server.dir, 'dump.rdb') });
  try {
    const found: string[] = [];
    for (const key of keys) if ((await copy.cli('EXISTS', key)) === '1') found.push(key);
    return found;
  } finally {
    await copy.stop();
  }
}

async function setSaveDelay(microsecondsPerKey: number): Promise<void> {
  await server.cli('CONFIG', 'SET', 'rdb-key-save-delay', String(microsecondsPerKey));
}

async function noSaveRunning(): Promise<boolean> {
  return (await persistence()).rdb_bgsave_in_progress === '0';
}

for (const shell of SHELLS) {
  describe(`redis preset, script run by ${shell}`, () => {
    it('returns only once the save it started is on disk', async () => {
      const lastSaveBefore = Number(await server.cli('LASTSAVE'));
      await server.cli('SET', `written-before-${shell}`, 'x');
      // Slow enough (about 2 s) that a hook returning at BGSAVE's answer would be caught.
      await setSaveDelay(1000);
      try {
        const pre = await runExecHook(preHook(), { shell, env: CONTAINER_ENV });
        assert.equal(pre.code, 0, explain(pre));
        const after = await persistence();
        assert.equal(after.rdb_bgsave_in_progress, '0');
        assert.equal(after.rdb_last_bgsave_status, 'ok');
        const lastSave = Number(await server.cli('LASTSAVE'));
        assert.ok(lastSave > lastSaveBefore, `LASTSAVE advanced from ${lastSaveBefore} to ${lastSave}`);
        assert.equal(pre.markers.find((m) => m.event === 'saved')?.fields.lastsave, String(lastSave));
      } finally {
        await setSaveDelay(0);
      }
      assert.deepEqual(await keysInRdbFile([`written-before-${shell}`, 'key:1', `key:${KEYS}`]), [
        `written-before-${shell}`,
        'key:1',
        `key:${KEYS}`,
      ]);
    });

    it('waits out a save already in progress, then makes its own', async () => {
      await setSaveDelay(1000);
      try {
        assert.equal(await server.cli('BGSAVE'), 'Background saving started');
        // Written after that save forked: only a save started later holds it.
        await server.cli('SET', `written-during-other-save-${shell}`, 'x');
        const savesBefore = Number((await persistence()).rdb_saves);
        const pre = await runExecHook(preHook(), { shell, env: CONTAINER_ENV });
        assert.equal(pre.code, 0, explain(pre));
        assert.equal(
          Number((await persistence()).rdb_saves),
          savesBefore + 1,
          'the hook started a save of its own',
        );
        assert.equal(await noSaveRunning(), true);
      } finally {
        await setSaveDelay(0);
      }
      assert.deepEqual(await keysInRdbFile([`written-during-other-save-${shell}`]), [
        `written-during-other-save-${shell}`,
      ]);
    });
  });
}

describe('redis preset failures', () => {
  it('fails clearly when the save does not finish within the timeout', async () => {
    await setSaveDelay(5000); // about 10 s for the whole data set
    try {
      const pre = await runExecHook(preHook('2s'), { shell: 'dash', env: CONTAINER_ENV });
      assert.notEqual(pre.code, 0, explain(pre));
      assert.match(pre.stderr, /the background save did not finish within 2 seconds; raise timeout/);
      assert.equal(pre.markers.find((m) => m.event === 'error')?.fields.reason, 'timeout');
    } finally {
      await setSaveDelay(0);
    }
    await waitFor(noSaveRunning, { what: 'the slow save to end', timeoutMs: 60_000 });
  });

  it('fails clearly on a wrong password and on an unreachable server', async () => {
    const wrong = await runExecHook(preHook(), {
      shell: 'dash',
      env: { REDIS_PASSWORD: 'not-the-password' },
    });
    assert.notEqual(wrong.code, 0, explain(wrong));
    assert.match(wrong.stderr, /cannot read LASTSAVE from the server: .*(WRONGPASS|AUTH failed)/s);

    const closedPort = await freeLoopbackPort();
    const unreachable = expandValid({
      name: 'redis',
      parameters: { port: String(closedPort) },
    }).pre;
    const run = await runExecHook(unreachable, { shell: 'dash', env: CONTAINER_ENV });
    assert.notEqual(run.code, 0, explain(run));
    assert.match(run.stderr, /cannot read LASTSAVE from the server: Could not connect to Redis/);
    assert.equal(run.markers.find((m) => m.event === 'error')?.fields.reason, 'connect');
  });
});
