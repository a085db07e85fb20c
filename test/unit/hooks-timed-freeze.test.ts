// The mongodb and fsfreeze presets hold a freeze that outlives the exec and must undo itself. Neither a
// MongoDB server (no Debian package) nor CAP_SYS_ADMIN is available here, so these tests run the generated
// scripts in dash against test stand-ins for mongosh and fsfreeze that keep the lock state in a file and log
// every call. What they prove is the scripts' own mechanics: the detached timer, the claim between timer
// and post hook, failures reported and cleaned up. The real clients' behaviour is what the stand-ins assume.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { waitFor } from '../harness/wait.ts';
import { expandValid } from '../databases/hooks.ts';
import { killProcesses, processesMentioning, runExecHook, type HookRun } from '../databases/run-hook.ts';

const STAND_INS = {
  // Stand-in for mongosh: the --eval text says which command; the lock count lives in $STANDIN/locks.
  mongosh: String.raw`#!/bin/sh
echo "$*" >>"$STANDIN/argv"
js=; while [ $# -gt 0 ]; do [ "$1" = --eval ] && js=$2; shift; done
[ -n "$CBO_MONGO_PASSWORD" ] && echo "password-from-env $CBO_MONGO_PASSWORD" >>"$STANDIN/env"
n=$(cat "$STANDIN/locks" 2>/dev/null || echo 0)
case $js in
  *fsyncUnlock*)
    [ "$n" -gt 0 ] || { echo 'MongoServerError: fsyncUnlock called when not locked' >&2; exit 1; }
    echo $((n - 1)) >"$STANDIN/locks"; echo unlock >>"$STANDIN/calls"; echo "lockCount=$((n - 1))" ;;
  *fsyncLock*)
    [ -e "$STANDIN/hang" ] && exec sleep 600
    [ -e "$STANDIN/refuse" ] && { echo 'MongoServerError: not authorized on admin to execute command { fsync: 1 }' >&2; exit 1; }
    echo $((n + 1)) >"$STANDIN/locks"; echo lock >>"$STANDIN/calls"; echo "lockCount=$((n + 1))" ;;
esac
`,
  // Stand-in for fsfreeze: -f on a frozen filesystem is EBUSY and -u on a thawed one EINVAL, as in the kernel.
  fsfreeze: String.raw`#!/bin/sh
case $1 in
  -f)
    [ -e "$STANDIN/hang" ] && exec sleep 600
    [ -e "$STANDIN/locks" ] && { echo "fsfreeze: $2: freeze failed: Device or resource busy" >&2; exit 1; }
    [ -e "$STANDIN/refuse" ] && { echo "fsfreeze: $2: freeze failed: Operation not permitted" >&2; exit 1; }
    echo 1 >"$STANDIN/locks"; echo lock >>"$STANDIN/calls" ;;
  -u)
    [ -e "$STANDIN/locks" ] || { echo "fsfreeze: $2: unfreeze failed: Invalid argument" >&2; exit 1; }
    rm -f "$STANDIN/locks"; echo unlock >>"$STANDIN/calls" ;;
esac
`,
};

const root = mkdtempSync(join(tmpdir(), 'cbo-timed-freeze-'));
const bin = join(root, 'bin');
mkdirSync(bin);
for (const [name, text] of Object.entries(STAND_INS)) {
  writeFileSync(join(bin, name), text);
  chmodSync(join(bin, name), 0o755);
}
after(() => {
  killProcesses(processesMentioning(root));
  rmSync(root, { recursive: true, force: true });
});

interface Fixture {
  standIn: string;
  stateDir: string;
  calls(): string[];
  run(phase: 'pre' | 'post'): Promise<HookRun>;
}

let fixtures = 0;
function fixture(preset: 'mongodb' | 'fsfreeze', extraEnv: Record<string, string> = {}): Fixture {
  const dir = join(root, `${preset}-${++fixtures}`);
  const standIn = join(dir, 'stand-in');
  const stateDir = join(dir, 'state');
  mkdirSync(standIn, { recursive: true });
  const hooks = expandValid({
    name: preset,
    timeout: '1s',
    freezeBudget: '1s',
    parameters: preset === 'fsfreeze' ? { mountPath: '/proc', stateDir } : { user: 'backup', stateDir },
  });
  const env = { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`, STANDIN: standIn, ...extraEnv };
  return {
    standIn,
    stateDir,
    calls: () => {
      try {
        return readFileSync(join(standIn, 'calls'), 'utf8').trim().split('\n');
      } catch {
        return [];
      }
    },
    run: (phase) => runExecHook(phase === 'pre' ? hooks.pre : hooks.post!, { shell: 'dash', env }),
  };
}

function explain(run: HookRun): string {
  return `exit ${run.code}${run.timedOut ? ' (timed out)' : ''}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
}

const reason = (run: HookRun) => run.markers.find((m) => m.event === 'error')?.fields.reason;
const settle = (what: string, probe: () => boolean) => waitFor(probe, { what, timeoutMs: 20_000 });

for (const preset of ['mongodb', 'fsfreeze'] as const) {
  describe(
    `${preset} preset mechanics (stand-in ${preset === 'mongodb' ? 'mongosh' : 'fsfreeze'})`,
    { concurrency: true },
    () => {
      it('freezes in pre, undoes in post, and the timer then does nothing', async () => {
        const f = fixture(preset);
        const pre = await f.run('pre');
        assert.equal(pre.code, 0, explain(pre));
        assert.equal(pre.timedOut, false, 'the timer must not keep the exec open');
        assert.equal(pre.markers.find((m) => m.event === 'ready')?.fields.expiresAfter, '2s');
        assert.deepEqual(f.calls(), ['lock']);
        const post = await f.run('post');
        assert.equal(post.code, 0, explain(post));
        assert.deepEqual(f.calls(), ['lock', 'unlock']);
        assert.deepEqual(processesMentioning(f.stateDir), [], 'the timer is stopped');
        // Past the moment the timer would have fired: still one unlock.
        await new Promise((resolve) => setTimeout(resolve, 3000));
        assert.deepEqual(f.calls(), ['lock', 'unlock']);
      });

      it('undoes the freeze by itself after timeout + freezeBudget, and post then reports it expired', async () => {
        const f = fixture(preset);
        const pre = await f.run('pre');
        assert.equal(pre.code, 0, explain(pre));
        await settle('the timer to undo the freeze', () => f.calls().join() === 'lock,unlock');
        await settle('the timer to exit', () => processesMentioning(f.stateDir).length === 0);
        const post = await f.run('post');
        assert.notEqual(post.code, 0, explain(post));
        assert.equal(reason(post), 'expired');
        assert.match(post.stderr, /already been undone by its timer .* raise freezeBudget/);
        assert.deepEqual(f.calls(), ['lock', 'unlock'], 'post does not undo a second time');
      });

      it('reports a refused freeze clearly and leaves no timer behind', async () => {
        const f = fixture(preset);
        writeFileSync(join(f.standIn, 'refuse'), '');
        const pre = await f.run('pre');
        assert.notEqual(pre.code, 0, explain(pre));
        assert.equal(reason(pre), 'freeze');
        assert.match(pre.stderr, /failed: .*(not authorized|Operation not permitted)/);
        assert.deepEqual(processesMentioning(f.stateDir), []);
        assert.deepEqual(f.calls(), []);
        const post = await f.run('post');
        assert.equal(reason(post), 'no-session', explain(post));
      });

      it('refuses a second freeze while one is held', async () => {
        const f = fixture(preset);
        assert.equal((await f.run('pre')).code, 0);
        const again = await f.run('pre');
        assert.notEqual(again.code, 0, explain(again));
        assert.equal(reason(again), 'busy');
        assert.match(again.stderr, /from an earlier pre hook is still in place/);
        assert.equal((await f.run('post')).code, 0);
        assert.deepEqual(f.calls(), ['lock', 'unlock']);
      });

      it('gives up on a freeze that hangs after its timeout, leaving the timer to undo it', async () => {
        const f = fixture(preset);
        writeFileSync(join(f.standIn, 'hang'), '');
        const pre = await f.run('pre');
        assert.notEqual(pre.code, 0, explain(pre));
        assert.equal(pre.timedOut, false);
        assert.equal(reason(pre), 'timeout');
        assert.ok(processesMentioning(f.stateDir).length > 0, 'the timer stays armed');
        await settle('the timer to exit', () => processesMentioning(f.stateDir).length === 0);
      });
    },
  );
}

describe('mongodb preset credentials', () => {
  it('hands the password to mongosh through its environment, not its arguments', async () => {
    const f = fixture('mongodb', { MONGO_INITDB_ROOT_PASSWORD: 'mongo-secret-3' });
    const pre = await f.run('pre');
    assert.equal(pre.code, 0, explain(pre));
    assert.match(readFileSync(join(f.standIn, 'env'), 'utf8'), /password-from-env mongo-secret-3/);
    assert.doesNotMatch(readFileSync(join(f.standIn, 'argv'), 'utf8'), /mongo-secret-3/);
    assert.equal((await f.run('post')).code, 0);
  });
});
