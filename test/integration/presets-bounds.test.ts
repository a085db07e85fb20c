// A server that accepts connections and then never answers is the worst case for a hook's own bounds: each
// preset's pre hook, run with the real client against such a server, must give up by itself with a clear
// message before Velero's timeout for it passes (Velero v1.18 would not stop it).
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { expandValid, stateDirectory } from '../databases/hooks.ts';
import { runExecHook } from '../databases/run-hook.ts';
import { installDatabases } from '../databases/servers.ts';

let silent: Server;
let port: number;
const sockets = new Set<Socket>();

before(async () => {
  installDatabases();
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  port = (silent.address() as { port: number }).port;
});
after(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

const cases: { preset: string; env: Record<string, string>; message: RegExp }[] = [
  {
    preset: 'postgresql',
    env: { POSTGRES_PASSWORD: 'x' },
    message: /cannot connect to the server|did not finish/,
  },
  {
    preset: 'mysql',
    env: { MYSQL_ROOT_PASSWORD: 'x' },
    message: /cannot connect to the server: .*Lost connection/,
  },
  { preset: 'redis', env: {}, message: /cannot read LASTSAVE from the server: no answer within 10 seconds/ },
];

describe('pre hooks against a server that never answers', { concurrency: true }, () => {
  for (const { preset, env, message } of cases) {
    it(`${preset}: gives up by itself before Velero's timeout, with a clear message`, async () => {
      const { pre } = expandValid({
        name: preset,
        timeout: '2s',
        parameters: {
          host: '127.0.0.1',
          port: String(port),
          ...(preset === 'mysql' ? { stateDir: stateDirectory('bounds-mysql') } : {}),
        },
      });
      const run = await runExecHook(pre, { shell: 'dash', env });
      assert.equal(run.timedOut, false, `the ${preset} pre hook outlived its Velero timeout ${pre.timeout}`);
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, message, run.stderr);
      assert.ok(
        run.markers.some((m) => m.event === 'error'),
        run.stdout,
      );
    });
  }
});
