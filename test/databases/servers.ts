import { execFile, execFileSync } from 'node:child_process';
import {
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
  readFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ManagedProcess, onProcessExit } from '../../src/local-cluster/child-process.ts';
import { freeLoopbackPort } from '../../src/local-cluster/ports.ts';
import { waitFor } from '../harness/wait.ts';
import '../harness/exit-on-signal.ts';

const run = promisify(execFile);
const INSTALL_SCRIPT = new URL('./install.sh', import.meta.url).pathname;

let installed = false;
/** Installs the servers from Debian packages where missing (see install.sh); once per process. */
export function installDatabases(): void {
  if (installed) return;
  execFileSync('bash', [INSTALL_SCRIPT], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 15 * 60_000 });
  installed = true;
}

/** A database server started by a test: on 127.0.0.1, in a temp dir that stopping removes. */
export interface TestServer {
  name: string;
  port: number;
  dir: string;
  /** The server's log, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

async function startServer(
  name: string,
  dir: string,
  binary: string,
  args: string[],
  port: number,
  ready: () => Promise<boolean>,
): Promise<TestServer> {
  const logFile = join(dir, 'server.log');
  const process = new ManagedProcess(name, binary, args, logFile);
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const forgetExitHook = onProcessExit(removeDir);
  const server: TestServer = {
    name,
    port,
    dir,
    log: () => readFileSync(logFile, 'utf8'),
    stop: async () => {
      await process.stop(10_000);
      forgetExitHook();
      removeDir();
    },
  };
  process.start();
  try {
    await waitFor(async () => process.running && (await ready().catch(() => false)), {
      what: `${name} to accept connections`,
      timeoutMs: 60_000,
      intervalMs: 200,
    });
  } catch (error) {
    const log = server.log();
    await server.stop();
    throw new Error(`${(error as Error).message}\n${name} log:\n${log}`);
  }
  return server;
}

const isRoot = process.getuid?.() === 0;

function postgresBin(): string {
  const versions = readdirSync('/usr/lib/postgresql')
    .map(Number)
    .filter((v) => Number.isInteger(v))
    .sort((a, b) => b - a);
  if (versions.length === 0) throw new Error('no PostgreSQL server in /usr/lib/postgresql');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

/** Runs a command as the postgres user when we are root: PostgreSQL refuses to run as root. */
function asPostgres(binary: string, args: string[]): [string, string[]] {
  return isRoot
    ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', binary, ...args]]
    : [binary, args];
}

export interface PostgresServer extends TestServer {
  /** Runs SQL as the superuser over TCP and returns psql's unaligned, tuples-only output. */
  sql(statement: string): Promise<string>;
}

export async function startPostgres(password: string): Promise<PostgresServer> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'cbo-postgres-'));
  const port = await freeLoopbackPort();
  writeFileSync(join(dir, 'password'), password);
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
    chownSync(join(dir, 'password'), uid, gid);
  }
  const data = join(dir, 'data');
  const [initdb, initArgs] = asPostgres(join(bin, 'initdb'), [
    `--pgdata=${data}`,
    '--username=postgres',
    '--auth=scram-sha-256',
    `--pwfile=${join(dir, 'password')}`,
  ]);
  await run(initdb, initArgs);
  const [postgres, args] = asPostgres(join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
  ]);
  const env = {
    ...process.env,
    PGPASSWORD: password,
    PGHOST: '127.0.0.1',
    PGPORT: String(port),
    PGUSER: 'postgres',
  };
  const sql = async (statement: string) =>
    (
      await run(
        'psql',
        ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', 'postgres', '-c', statement],
        { env },
      )
    ).stdout.trim();
  const server = await startServer(
    'postgres',
    dir,
    postgres,
    args,
    port,
    async () => (await sql('SELECT 1')) === '1',
  );
  return { ...server, sql };
}

export interface MariadbServer extends TestServer {
  socket: string;
  /** Runs SQL as root over the socket and returns the batch output (tab-separated, no column names). */
  sql(statement: string, options?: { timeoutMs?: number }): Promise<string>;
}

/** MariaDB with the binary log on (the mysql preset records the position at the freeze). */
export async function startMariadb(rootPassword: string): Promise<MariadbServer> {
  const dir = mkdtempSync(join(tmpdir(), 'cbo-mariadb-'));
  const port = await freeLoopbackPort();
  const data = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  mkdirSync(join(dir, 'binlog'));
  const asUser = isRoot ? ['--user=root'] : [];
  await run('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${data}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    ...asUser,
  ]);
  const args = [
    '--no-defaults',
    `--datadir=${data}`,
    `--socket=${socket}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    '--skip-name-resolve',
    `--pid-file=${join(dir, 'mariadbd.pid')}`,
    `--log-bin=${join(dir, 'binlog', 'mysql-bin')}`,
    '--server-id=1',
    ...asUser,
  ];
  let password = '';
  const sql = async (statement: string, options: { timeoutMs?: number } = {}) =>
    (
      await run(
        'mariadb',
        [`--socket=${socket}`, '--user=root', '--batch', '--skip-column-names', '-e', statement],
        {
          env: { ...process.env, MYSQL_PWD: password },
          timeout: options.timeoutMs ?? 30_000,
        },
      )
    ).stdout.trim();
  const server = await startServer(
    'mariadb',
    dir,
    'mariadbd',
    args,
    port,
    async () => (await sql('SELECT 1')) === '1',
  );
  await sql(
    `CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';` +
      `ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '${rootPassword}';` +
      `GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;` +
      `ALTER USER 'root'@'localhost' IDENTIFIED BY '${rootPassword}';`,
  );
  password = rootPassword;
  return { ...server, socket, sql };
}

export interface RedisServer extends TestServer {
  /** Runs one redis-cli command and returns its raw output. */
  cli(...args: string[]): Promise<string>;
}

/** Redis without automatic saves; with `rdbFile`, it starts from a copy of that RDB file. */
export async function startRedis(password: string, options: { rdbFile?: string } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'cbo-redis-'));
  if (options.rdbFile) copyFileSync(options.rdbFile, join(dir, 'dump.rdb'));
  const port = await freeLoopbackPort();
  const config = join(dir, 'redis.conf');
  // A config file rather than arguments, so the password does not show in the process list.
  writeFileSync(
    config,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      'save ""',
      'appendonly no',
      `requirepass ${password}`,
    ].join('\n'),
  );
  const cli = async (...args: string[]) =>
    (
      await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--no-auth-warning', ...args], {
        env: { ...process.env, REDISCLI_AUTH: password },
      })
    ).stdout.trim();
  const server = await startServer(
    'redis',
    dir,
    'redis-server',
    [config],
    port,
    async () => (await cli('PING')) === 'PONG',
  );
  return { ...server, cli };
}
