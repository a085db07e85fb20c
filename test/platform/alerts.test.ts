// The PrometheusRule the chart ships (and deploy/monitoring holds), run by `promtool test rules` over series
// shaped exactly as the operator exports them: metric names and label sets are taken from a real operator's
// /metrics (recorded by test/e2e/platform.test.ts), plus the target labels Prometheus adds when it scrapes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { Metrics } from '../../src/core/metrics.ts';
import { ensurePlatformTools } from '../harness/platform-tools.ts';

const run = promisify(execFile);
const chart = fileURLToPath(new URL('../../charts/consistent-backup-operator', import.meta.url));
const JOB = 'consistent-backup-system/consistent-backup-operator';
const target = (pod: string) => ({ job: JOB, instance: `${pod}:8080`, pod });

interface Rule {
  alert: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Label names of each metric as a running operator exports it. */
async function exportedShapes(): Promise<Map<string, string[]>> {
  const recorded = await readFile(new URL('./recorded-metrics.prom', import.meta.url), 'utf8');
  const core = new Metrics();
  core.leader('consistent-backup-operator', false);
  const shapes = new Map<string, string[]>();
  for (const line of [...recorded.split('\n'), ...(await core.registry.metrics()).split('\n')]) {
    const m = /^(\w+)\{([^}]*)\}/.exec(line);
    if (m?.[1] && m[2] !== undefined)
      shapes.set(
        m[1],
        [...m[2].matchAll(/(\w+)="/g)].map((l) => l[1] ?? ''),
      );
  }
  return shapes;
}

let shapes: Map<string, string[]>;
/** A promtool series: the operator's labels (exactly its label names) plus the scrape target's. */
function series(metric: string, labels: Record<string, string>, pod: string, values: string) {
  assert.deepEqual(Object.keys(labels), shapes.get(metric), `${metric} is exported with these labels`);
  const all = { ...labels, ...target(pod) };
  return {
    series: `${metric}{${Object.entries(all)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',')}}`,
    values,
  };
}

const cb = { namespace: 'shop', name: 'orders' };

test('promtool test rules: every alert fires when it should and stays quiet when it should not', async () => {
  shapes = await exportedShapes();
  const { helm, promtool } = await ensurePlatformTools();
  const rendered = (
    await run(helm, [
      'template',
      'x',
      chart,
      '-n',
      'consistent-backup-system',
      '--set',
      'prometheusRule.enabled=true',
      '--show-only',
      'templates/prometheusrule.yaml',
    ])
  ).stdout;
  const rule = parseAllDocuments(rendered)
    .map((d) => d.toJS() as { kind: string; spec: { groups: { rules: Rule[] }[] } })
    .find((o) => o?.kind === 'PrometheusRule');
  assert.ok(rule);
  const rules = new Map(rule.spec.groups.flatMap((g) => g.rules).map((r) => [r.alert, r]));

  /** The alert as Prometheus would send it: its labels, and its annotations with the templates filled in. */
  const alert = (name: string, labels: Record<string, string>, value = '') => {
    const r = rules.get(name);
    assert.ok(r, name);
    const fill = (text: string) =>
      text
        .replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, k: string) => labels[k] ?? '')
        .replace(/\{\{ \$value \}\}/g, value);
    return {
      exp_labels: { ...r.labels, ...labels },
      exp_annotations: Object.fromEntries(Object.entries(r.annotations).map(([k, v]) => [k, fill(v)])),
    };
  };
  const expect = (name: string, at: string, alerts: object[]) => ({
    eval_time: at,
    alertname: name,
    exp_alerts: alerts,
  });

  const tests = [
    {
      // Recovery point kept, then the deadline passes; a failover to the other replica changes nothing.
      name: 'rpo breached',
      interval: '1m',
      input_series: [
        series('consistentbackup_rpo_met', cb, 'op-a', '1 1 0 0 _ _ _'),
        series('consistentbackup_rpo_met', cb, 'op-b', '_ _ _ _ 0 0 0'),
        series('consistentbackup_recovery_point_timestamp_seconds', cb, 'op-a', '1000x4'),
        series('consistentbackup_recovery_point_timestamp_seconds', cb, 'op-b', '_ _ _ _ 1000x3'),
      ],
      alert_rule_test: [
        expect('ConsistentBackupRPOBreached', '2m', []),
        expect('ConsistentBackupRPOBreached', '6m', [alert('ConsistentBackupRPOBreached', cb)]),
        expect('ConsistentBackupNoConsistentBackupYet', '6m', []),
      ],
    },
    {
      name: 'no consistent backup one rpo after creation',
      interval: '1m',
      input_series: [series('consistentbackup_rpo_met', cb, 'op-a', '1 1 0 0 0')],
      alert_rule_test: [
        expect('ConsistentBackupNoConsistentBackupYet', '4m', [
          alert('ConsistentBackupNoConsistentBackupYet', cb),
        ]),
        expect('ConsistentBackupRPOBreached', '4m', []),
      ],
    },
    {
      name: 'hooks failing, then inconsistent three times in a row',
      interval: '10m',
      input_series: [
        series('consistentbackup_hook_executions_failed_total', cb, 'op-a', '0 0 2 4 6'),
        series('consistentbackup_consecutive_inconsistent_backups', cb, 'op-a', '0 0 1 2 3'),
      ],
      alert_rule_test: [
        expect('ConsistentBackupHooksFailing', '10m', []),
        expect('ConsistentBackupHooksFailing', '20m', [alert('ConsistentBackupHooksFailing', cb)]),
        expect('ConsistentBackupInconsistentBackups', '30m', []),
        expect('ConsistentBackupInconsistentBackups', '40m', [
          alert('ConsistentBackupInconsistentBackups', cb, '3'),
        ]),
      ],
    },
    {
      name: 'missed scheduled runs',
      interval: '5m',
      input_series: [series('consistentbackup_missed_scheduled_runs', cb, 'op-a', '0 1 1 1 1')],
      alert_rule_test: [
        expect('ConsistentBackupMissedScheduledRuns', '10m', []),
        expect('ConsistentBackupMissedScheduledRuns', '20m', [
          alert('ConsistentBackupMissedScheduledRuns', cb, '1'),
        ]),
      ],
    },
    {
      name: 'operator down, then up but not leading',
      interval: '1m',
      input_series: [
        { series: `up{job="${JOB}",instance="op-a:8080",pod="op-a"}`, values: '1 0x14 1x30' },
        series(
          'leader_election_master_status',
          { name: 'consistent-backup-operator' },
          'op-a',
          '1 _x14 0x30',
        ),
      ],
      alert_rule_test: [
        expect('ConsistentBackupOperatorDown', '5m', []),
        expect('ConsistentBackupOperatorDown', '12m', [alert('ConsistentBackupOperatorDown', {})]),
        expect('ConsistentBackupOperatorDown', '30m', []),
        expect('ConsistentBackupOperatorNotLeading', '20m', []),
        expect('ConsistentBackupOperatorNotLeading', '40m', [
          alert('ConsistentBackupOperatorNotLeading', {}),
        ]),
      ],
    },
  ];
  // Each alert the chart ships is exercised.
  const tested = new Set(tests.flatMap((t) => t.alert_rule_test.map((a) => a.alertname)));
  assert.deepEqual([...tested].sort(), [...rules.keys()].sort());

  const dir = await mkdtemp(join(tmpdir(), 'cbo-promtool-'));
  try {
    await writeFile(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
    await writeFile(
      join(dir, 'tests.yaml'),
      stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }),
    );
    const { stdout } = await run(promtool, ['test', 'rules', 'tests.yaml'], { cwd: dir }).catch(
      (err: { stdout?: string; stderr?: string }) => {
        throw new Error(`promtool test rules failed:\n${err.stdout}\n${err.stderr}`);
      },
    );
    assert.match(stdout, /SUCCESS/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
