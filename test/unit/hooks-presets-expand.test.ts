import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parseWholeSeconds } from '../../src/hooks/duration.ts';
import type { ExecHook } from '../../src/hooks/exec-hook.ts';
import { PRESETS } from '../../src/hooks/presets/catalog.ts';
import { PRESET_NAMES, type PresetName } from '../../src/hooks/presets/definition.ts';
import { expandPreset, type PresetRef } from '../../src/hooks/presets/expand.ts';
import { CONNECT_TIMEOUT_SECONDS } from '../../src/hooks/presets/parameters.ts';

const REQUIRED: Partial<Record<PresetName, Record<string, string>>> = { fsfreeze: { mountPath: '/data' } };

function expanded(preset: PresetRef): { pre: ExecHook[]; post: ExecHook[] } {
  const result = expandPreset(preset);
  if ('problems' in result) assert.fail(`unexpected problems: ${result.problems.join('; ')}`);
  return result;
}

function problems(preset: PresetRef): string[] {
  const result = expandPreset(preset);
  assert.ok('problems' in result, `expected problems for ${JSON.stringify(preset)}`);
  return result.problems;
}

function seconds(timeout: string): number {
  const parsed = parseWholeSeconds(timeout);
  assert.equal(typeof parsed, 'number', timeout);
  return parsed as number;
}

function script(hook: ExecHook | undefined): string {
  assert.ok(hook);
  assert.equal(hook.command.length, 3);
  assert.deepEqual(hook.command.slice(0, 2), ['/bin/sh', '-c']);
  return hook.command[2] ?? '';
}

/** The value a script assigns to a setting in its header. */
function setting(text: string, name: string): string | undefined {
  return new RegExp(`^${name}='([^']*)'$`, 'm').exec(text)?.[1];
}

describe('expandPreset', () => {
  it('expands every preset into /bin/sh -c hooks that dash parses', () => {
    for (const name of PRESET_NAMES) {
      const { pre, post } = expanded({ name, parameters: REQUIRED[name] ?? {} });
      assert.equal(pre.length, 1, name);
      for (const hook of [...pre, ...post]) {
        const check = spawnSync('dash', ['-n', '-c', script(hook)], { encoding: 'utf8' });
        assert.equal(check.status, 0, `${name}: ${check.stderr}`);
      }
    }
  });

  it('has post hooks exactly for the presets that hold something', () => {
    const posts = Object.fromEntries(
      PRESET_NAMES.map((name) => [name, expanded({ name, parameters: REQUIRED[name] ?? {} }).post.length]),
    );
    assert.deepEqual(posts, { postgresql: 0, mysql: 1, redis: 0, mongodb: 1, fsfreeze: 1 });
  });

  it('fails the pod on a failed pre hook and lets other post hooks run after a failed post hook', () => {
    const { pre, post } = expanded({ name: 'mysql' });
    assert.equal(pre[0]?.onError, 'Fail');
    assert.equal(post[0]?.onError, 'Continue');
  });

  it('gives Velero more time than the script allows itself, for any timeout', () => {
    for (const name of PRESET_NAMES) {
      for (const timeout of ['1s', '30s', '10m']) {
        const { pre, post } = expanded({ name, timeout, parameters: REQUIRED[name] ?? {} });
        // A pre hook waits up to its timeout for the server, and connects within its own bounds on top.
        assert.ok(
          seconds(pre[0]?.timeout ?? '0s') > seconds(timeout) + CONNECT_TIMEOUT_SECONDS,
          `${name} ${timeout}`,
        );
        for (const hook of [...pre, ...post]) {
          const text = script(hook);
          assert.equal(setting(text, 'CBO_TIMEOUT'), String(seconds(timeout)), `${name} ${timeout}`);
          const bounds = PRESETS[name].scripts({
            timeoutSeconds: seconds(timeout),
            freezeBudgetSeconds: 60,
            parameters: REQUIRED[name] ?? {},
          });
          const part = hook === pre[0] ? bounds.pre : bounds.post;
          assert.ok(part && seconds(hook.timeout) > part.boundSeconds, `${name} ${timeout}`);
        }
      }
    }
  });

  it('puts durations and the defaults of parameters into the script', () => {
    const text = script(expanded({ name: 'mysql', freezeBudget: '1m30s', timeout: '45s' }).pre[0]);
    assert.equal(setting(text, 'CBO_BUDGET'), '90');
    assert.equal(setting(text, 'CBO_TIMEOUT'), '45');
    assert.equal(setting(text, 'CBO_STATE'), '/tmp/consistent-backup/mysql');
    assert.equal(setting(text, 'CBO_PASSWORD_ENVS'), 'MYSQL_PWD MARIADB_ROOT_PASSWORD MYSQL_ROOT_PASSWORD');
    assert.match(text, /^set -- '--user=root'$/m);

    const defaults = script(expanded({ name: 'mongodb' }).pre[0]);
    assert.equal(setting(defaults, 'CBO_BUDGET'), '60');
    assert.equal(
      setting(defaults, 'CBO_URI'),
      'mongodb://127.0.0.1:27017/admin?serverSelectionTimeoutMS=10000',
    );
  });

  it('passes connection parameters as single quoted arguments, whatever they contain', () => {
    const text = script(
      expanded({
        name: 'mysql',
        parameters: {
          host: 'db.shop.svc',
          port: '3307',
          user: "o'brien;rm",
          defaultsFile: '/etc/mysql/conf.d/backup $HOME.cnf',
          passwordEnv: 'DB_PASSWORD',
        },
      }).pre[0],
    );
    assert.match(
      text,
      /^set -- '--defaults-extra-file=\/etc\/mysql\/conf.d\/backup \$HOME.cnf' '--host=db.shop.svc' '--port=3307' '--user=o'\\''brien;rm'$/m,
    );
    assert.equal(setting(text, 'CBO_PASSWORD_ENVS'), 'DB_PASSWORD');
    const echoed = spawnSync(
      'dash',
      ['-c', `${text.split('\n').find((l) => l.startsWith('set --'))}; printf '%s\\n' "$@"`],
      {
        encoding: 'utf8',
      },
    );
    assert.deepEqual(echoed.stdout.trim().split('\n'), [
      '--defaults-extra-file=/etc/mysql/conf.d/backup $HOME.cnf',
      '--host=db.shop.svc',
      '--port=3307',
      "--user=o'brien;rm",
    ]);
  });

  it('keeps secrets out of the command: only variable names and file paths are in it', () => {
    const text = script(
      expanded({ name: 'postgresql', parameters: { passwordFile: '/secrets/pg/password' } }).pre[0],
    );
    assert.equal(setting(text, 'CBO_PASSWORD_FILE'), '/secrets/pg/password');
    assert.match(
      problems({ name: 'mongodb', parameters: { uri: 'mongodb://admin:hunter2@db:27017' } })[0] ?? '',
      /credentials/,
    );
  });

  const problemCases: { name: string; preset: PresetRef; expected: RegExp[] }[] = [
    {
      name: 'unknown preset',
      preset: { name: 'oracle' },
      expected: [/unknown preset "oracle" \(known: postgresql, mysql/],
    },
    {
      name: 'unknown parameter',
      preset: { name: 'redis', parameters: { hostname: 'x' } },
      expected: [/unknown parameter "hostname" for preset redis \(known: host, port/],
    },
    {
      name: 'bad port',
      preset: { name: 'redis', parameters: { port: '70000' } },
      expected: [/parameter port: must be a port number/],
    },
    {
      name: 'bad host',
      preset: { name: 'mysql', parameters: { host: 'db; rm -rf /' } },
      expected: [/parameter host:/],
    },
    {
      name: 'relative path',
      preset: { name: 'mysql', parameters: { stateDir: 'tmp/x' } },
      expected: [/parameter stateDir: must be an absolute path/],
    },
    {
      name: 'bad env name',
      preset: { name: 'mysql', parameters: { passwordEnv: 'MY-PASS' } },
      expected: [/parameter passwordEnv: must be an environment variable name/],
    },
    {
      name: 'two password sources',
      preset: { name: 'postgresql', parameters: { passwordEnv: 'PW', passwordFile: '/pw' } },
      expected: [/either passwordEnv or passwordFile/],
    },
    {
      name: 'socket and host for redis',
      preset: { name: 'redis', parameters: { socket: '/run/redis.sock', host: 'x' } },
      expected: [/either socket or host\/port/],
    },
    {
      name: 'unknown client',
      preset: { name: 'mysql', parameters: { client: 'mysqlsh' } },
      expected: [/parameter client: must be one of mariadb, mysql/],
    },
    {
      name: 'missing mount path',
      preset: { name: 'fsfreeze' },
      expected: [/parameter mountPath is required/],
    },
    {
      name: 'root mount path',
      preset: { name: 'fsfreeze', parameters: { mountPath: '/' } },
      expected: [/must not be the root filesystem/],
    },
    {
      name: 'state dir on the frozen filesystem',
      preset: { name: 'fsfreeze', parameters: { mountPath: '/tmp/' } },
      expected: [/stateDir must not be under mountPath/],
    },
    {
      name: 'bad duration',
      preset: { name: 'mysql', timeout: 'ten seconds' },
      expected: [/timeout: "ten seconds" is not a duration/],
    },
    {
      name: 'fractional seconds',
      preset: { name: 'mysql', freezeBudget: '1500ms' },
      expected: [/freezeBudget: "1500ms" is not a whole number of seconds/],
    },
    {
      name: 'zero budget',
      preset: { name: 'mongodb', freezeBudget: '0s' },
      expected: [/freezeBudget: must be between 1s and 60m/],
    },
    {
      name: 'too long',
      preset: { name: 'redis', timeout: '2h' },
      expected: [/timeout: must be between 1s and 60m/],
    },
    {
      name: 'budget on a preset that holds nothing',
      preset: { name: 'postgresql', freezeBudget: '30s' },
      expected: [/freezeBudget does not apply to preset postgresql/],
    },
    {
      name: 'several problems at once',
      preset: { name: 'mysql', timeout: 'x', parameters: { port: '0', nope: '1' } },
      expected: [/^timeout:/, /unknown parameter "nope"/, /parameter port:/],
    },
    {
      name: 'a value that is not a string',
      preset: { name: 'redis', parameters: { port: 6379 as unknown as string } },
      expected: [/parameter port: must be a string/],
    },
    {
      name: 'a prototype key as the name',
      preset: { name: '__proto__' },
      expected: [/unknown preset "__proto__"/],
    },
  ];
  for (const { name, preset, expected } of problemCases) {
    it(`reports ${name}`, () => {
      const found = problems(preset);
      assert.equal(found.length, expected.length, found.join('\n'));
      for (const pattern of expected)
        assert.ok(
          found.some((p) => pattern.test(p)),
          `${pattern} in ${found.join('\n')}`,
        );
    });
  }

  it('describes every preset and parameter for users', () => {
    for (const name of PRESET_NAMES) {
      const definition = PRESETS[name];
      assert.ok(definition.description.length > 80, name);
      assert.ok(definition.timeout.description, name);
      for (const [parameter, spec] of Object.entries(definition.parameters)) {
        assert.ok(spec.description.length > 10, `${name}.${parameter}`);
      }
    }
  });
});
