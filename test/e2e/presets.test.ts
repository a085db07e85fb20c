// The presets through the real Velero: Velero execs each generated script (kube-apiserver -> kwok -> /bin/sh on
// this host) against a real local database server, and the checks are about what the hook is for, with the
// preset's `cbo.` lines read back from the status the operator wrote from Velero's log.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ConsistentBackup } from '../../src/api/consistent-backup.ts';
import { parseHookMarkers } from '../../src/hooks/markers.ts';
import {
  installDatabases,
  startMariadb,
  startPostgres,
  startRedis,
  type MariadbServer,
  type PostgresServer,
  type RedisServer,
} from '../databases/servers.ts';
import { RealVeleroTestbed } from '../harness/real-velero-testbed.ts';

let bed: RealVeleroTestbed;
before(async () => {
  installDatabases();
  bed = await RealVeleroTestbed.start();
});
after(async () => {
  await bed?.stop();
});

const graded = (cr: ConsistentBackup) => cr.status?.lastBackup?.consistency !== undefined;

/** The `cbo.` lines of one hook, as status keeps them ("<hook>: cbo.<event> ..."). */
function markersOf(cr: ConsistentBackup, hook: string) {
  const prefix = `${hook}: `;
  const lines = (cr.status?.lastBackup?.evidence?.markers ?? [])
    .filter((m) => m.startsWith(prefix))
    .map((m) => m.slice(prefix.length));
  return parseHookMarkers(lines.join('\n'));
}

/** A one-shot ConsistentBackup of a namespace whose pod `db-0` reaches the server through its exec rule. */
async function backUpWithPreset(
  name: string,
  env: Record<string, string>,
  hooks: (workDir: string) => Record<string, unknown>[],
): Promise<{ cr: ConsistentBackup; workDir: string }> {
  const { namespace, workDir } = await bed.namespace(`e2e-preset-${name}`);
  await bed.startPod(namespace, 'db-0', { labels: { app: 'db' }, exec: { workDir, env } });
  await bed.applyConsistentBackup(namespace, name, {
    hooks: hooks(workDir).map((h) => ({ selector: { matchLabels: { app: 'db' } }, container: 'db', ...h })),
  });
  return { cr: await bed.waitForStatus(namespace, name, 'graded', graded), workDir };
}

describe('postgresql preset through Velero', () => {
  let server: PostgresServer;
  before(async () => {
    server = await startPostgres('pg-e2e-secret');
    await server.sql('CREATE TABLE orders (id serial PRIMARY KEY, note text)');
  });
  after(async () => {
    await server?.stop();
  });

  test('the checkpoint ran, covers the writes made before it, and its LSN is in status', async () => {
    await server.sql("INSERT INTO orders (note) VALUES ('before')");
    const walAfterWrite = await server.sql('SELECT pg_current_wal_lsn()');
    const version = Number(await server.sql('SHOW server_version_num'));
    const counter =
      version >= 170000
        ? 'SELECT num_requested FROM pg_stat_checkpointer'
        : 'SELECT checkpoints_req FROM pg_stat_bgwriter';
    const checkpointsBefore = Number(await server.sql(counter));

    const { cr } = await backUpWithPreset('postgresql', { POSTGRES_PASSWORD: 'pg-e2e-secret' }, () => [
      {
        name: 'db',
        preset: { name: 'postgresql', parameters: { host: '127.0.0.1', port: String(server.port) } },
      },
    ]);
    assert.equal(cr.status?.lastBackup?.consistency, 'AppConsistent', cr.status?.lastBackup?.message);
    assert.ok(Number(await server.sql(counter)) > checkpointsBefore, 'a checkpoint was requested');
    const checkpoint = markersOf(cr, 'db').find((m) => m.event === 'checkpoint');
    assert.ok(checkpoint?.fields.lsn, JSON.stringify(cr.status?.lastBackup?.evidence));
    const covered = await server.sql(
      `SELECT pg_wal_lsn_diff('${checkpoint.fields.lsn}', '${walAfterWrite}') >= 0`,
    );
    assert.equal(covered, 't', 'the checkpoint lies past the write made before the backup');
    assert.ok(!JSON.stringify(cr.status).includes('pg-e2e-secret'), 'no secret in status');
  });
});

describe('mysql preset on MariaDB through Velero', () => {
  let server: MariadbServer;
  before(async () => {
    server = await startMariadb('maria-e2e-secret');
    await server.sql(
      'CREATE DATABASE shop; CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, note TEXT)',
    );
  });
  after(async () => {
    await server?.stop();
  });

  test('writes are blocked while the backup runs, released after, and the binlog position is in status', async () => {
    await server.sql("INSERT INTO shop.orders (note) VALUES ('before')");
    // A second pre hook in the same pod runs while the preset holds the lock: it tries a write with a 1 s
    // wait and records whether the lock blocked it (it always exits 0, so the backup is not failed by it).
    const probe = [
      '/bin/sh',
      '-c',
      `if MYSQL_PWD="$MARIADB_ROOT_PASSWORD" mariadb -h 127.0.0.1 -P ${server.port} -u root -e "SET SESSION lock_wait_timeout = 1; INSERT INTO shop.orders (note) VALUES ('during')" 2>probe.err; then echo wrote >> probe.log; else echo blocked >> probe.log; fi`,
    ];
    const { cr, workDir } = await backUpWithPreset(
      'mysql',
      { MARIADB_ROOT_PASSWORD: 'maria-e2e-secret' },
      (workDir) => [
        {
          name: 'db',
          preset: {
            name: 'mysql',
            freezeBudget: '60s',
            parameters: {
              host: '127.0.0.1',
              port: String(server.port),
              stateDir: join(workDir, 'mysql-state'),
            },
          },
        },
        { name: 'probe', pre: [{ command: probe, onError: 'Continue' }] },
      ],
    );
    assert.equal(cr.status?.lastBackup?.consistency, 'AppConsistent', cr.status?.lastBackup?.message);
    assert.deepEqual(await bed.hookOutput(workDir, 'probe.log'), ['blocked'], 'the write waited on the lock');
    assert.equal(await server.sql("SELECT COUNT(*) FROM shop.orders WHERE note = 'during'"), '0');
    await server.sql("SET SESSION lock_wait_timeout = 5; INSERT INTO shop.orders (note) VALUES ('after')");
    assert.equal(await server.sql("SELECT COUNT(*) FROM shop.orders WHERE note = 'after'"), '1', 'released');

    const markers = markersOf(cr, 'db');
    const [file, position] = (await server.sql('SHOW MASTER STATUS')).split('\t');
    const binlog = markers.find((m) => m.event === 'binlog')?.fields;
    // Nothing was written between the freeze and the 'after' row except that row itself.
    assert.equal(binlog?.file, file);
    assert.ok(Number(binlog?.position) < Number(position), `${binlog?.position} < ${position}`);
    assert.ok(
      markers.some((m) => m.event === 'released'),
      JSON.stringify(markers),
    );
    assert.ok(!JSON.stringify(cr.status).includes('maria-e2e-secret'), 'no secret in status');
  });
});

describe('redis preset through Velero', () => {
  let server: RedisServer;
  before(async () => {
    server = await startRedis('redis-e2e-secret');
  });
  after(async () => {
    await server?.stop();
  });

  test('the RDB the hook saved holds the writes made before it, and LASTSAVE is in status', async () => {
    await server.cli('SET', 'order:1', 'before-backup');
    const { cr } = await backUpWithPreset('redis', { REDIS_PASSWORD: 'redis-e2e-secret' }, () => [
      { name: 'db', preset: { name: 'redis', parameters: { port: String(server.port) } } },
    ]);
    assert.equal(cr.status?.lastBackup?.consistency, 'AppConsistent', cr.status?.lastBackup?.message);
    const saved = markersOf(cr, 'db').find((m) => m.event === 'saved');
    assert.equal(saved?.fields.lastsave, (await server.cli('LASTSAVE')).trim());
    const copy = await startRedis('redis-e2e-secret', { rdbFile: join(server.dir, 'dump.rdb') });
    try {
      assert.equal((await copy.cli('GET', 'order:1')).trim(), 'before-backup');
    } finally {
      await copy.stop();
    }
    assert.ok(!JSON.stringify(cr.status).includes('redis-e2e-secret'), 'no secret in status');
  });
});
