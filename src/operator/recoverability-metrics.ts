// Per-ConsistentBackup Prometheus series ("are we recoverable?"), labelled by namespace and name only. Gauges
// are computed at scrape time from the newest status this replica wrote, so the clock-driven ones (seconds to
// the RPO deadline, missed runs) are current; counters grow as reconciles see newly graded backups. Only the
// leader reconciles, so only the leader exports them; a ConsistentBackup's series go when it goes.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ConsistentBackup } from '../api/consistent-backup.ts';
import type { RestoreDrill } from '../api/consistent-restore.ts';
import {
  GRADES,
  drillRecoverability,
  failedHookExecutions,
  recoverability,
  type DrillRecoverability,
  type Recoverability,
} from '../domain/recoverability.ts';

type Labels = { namespace: string; name: string };

interface GaugeDef<R> {
  name: string;
  help: string;
  /** Undefined: no series for this object (nothing known yet). */
  value: (r: R) => number | undefined;
}

/** Gauges by namespace and name, set at scrape time from what snapshot() reads then. */
function registerGauges<R>(
  registry: Registry,
  defs: readonly GaugeDef<R>[],
  snapshot: () => { labels: Labels; r: R }[],
): void {
  for (const g of defs)
    new Gauge({
      name: g.name,
      help: g.help,
      labelNames: ['namespace', 'name'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { labels, r } of snapshot()) {
          const value = g.value(r);
          if (value !== undefined) this.set(labels, value);
        }
      },
    });
}

function labelsOf(obj: { metadata?: { namespace?: string; name?: string } }): Labels {
  return { namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' };
}

interface Tracked {
  readonly labels: Labels;
  cr: ConsistentBackup;
  /** `<backup>/<grade>` already counted, and backups whose failed hooks were counted. */
  readonly counted: Set<string>;
}

const gauges: GaugeDef<Recoverability>[] = [
  {
    name: 'consistentbackup_rpo_target_seconds',
    help: 'The recovery point objective (spec.rpo)',
    value: (r) => r.rpoTargetSeconds,
  },
  {
    name: 'consistentbackup_recovery_point_timestamp_seconds',
    help: 'Start of the newest consistent backup (with spec.rpoCounts Verified: the newest verified one), as Unix time',
    value: (r) => r.recoveryPointSeconds,
  },
  {
    name: 'consistentbackup_rpo_met',
    help: '1 while the newest consistent backup is younger than the rpo, else 0',
    value: (r) => (r.rpoMet === undefined ? undefined : Number(r.rpoMet)),
  },
  {
    name: 'consistentbackup_rpo_deadline_remaining_seconds',
    help: 'Seconds until the rpo is breached unless a newer consistent backup comes; negative: seconds since it was',
    value: (r) => r.rpoDeadlineRemainingSeconds,
  },
  {
    name: 'consistentbackup_next_run_timestamp_seconds',
    help: 'When the schedule runs next, as Unix time',
    value: (r) => r.nextRunSeconds,
  },
  {
    name: 'consistentbackup_consecutive_inconsistent_backups',
    help: 'Newest finished backups graded Inconsistent in a row (0 once one is consistent)',
    value: (r) => r.consecutiveInconsistent,
  },
  {
    name: 'consistentbackup_missed_scheduled_runs',
    help: 'Scheduled runs due (5 minutes of grace) since the newest scheduled backup that Velero did not start',
    value: (r) => r.missedScheduledRuns,
  },
];

export class RecoverabilityMetrics {
  private readonly tracked = new Map<string, Tracked>();
  private readonly graded: Counter<'namespace' | 'name' | 'grade'>;
  private readonly hookFailures: Counter<'namespace' | 'name'>;

  constructor(registry: Registry, now: () => number = Date.now) {
    const registers = [registry];
    const tracked = this.tracked;
    const snapshot = () =>
      [...tracked.values()].map((t) => ({ labels: t.labels, r: recoverability(t.cr, now()) }));
    registerGauges(registry, gauges, snapshot);
    new Gauge({
      name: 'consistentbackup_last_backup_grade',
      help: '1 for the grade of the newest finished backup, 0 for the others (all 0 before the first grade)',
      labelNames: ['namespace', 'name', 'grade'],
      registers,
      collect() {
        this.reset();
        for (const { labels, r } of snapshot())
          for (const grade of GRADES) this.set({ ...labels, grade }, Number(r.lastGrade === grade));
      },
    });
    this.graded = new Counter({
      name: 'consistentbackup_backups_graded_total',
      help: 'Finished backups by grade, counted from the operator start; a backup first Unverified and graded later counts under both',
      labelNames: ['namespace', 'name', 'grade'],
      registers,
    });
    this.hookFailures = new Counter({
      name: 'consistentbackup_hook_executions_failed_total',
      help: "Hook executions that failed in finished backups, from Velero's logs, counted from the operator start",
      labelNames: ['namespace', 'name'],
      registers,
    });
  }

  /** The status just computed for a ConsistentBackup. The first one seen only sets the counters' baseline. */
  observe(cr: ConsistentBackup): void {
    const labels = labelsOf(cr);
    const key = `${labels.namespace}/${labels.name}`;
    let entry = this.tracked.get(key);
    const baseline = entry === undefined;
    if (!entry) {
      entry = { labels, cr, counted: new Set() };
      this.tracked.set(key, entry);
      for (const grade of GRADES) this.graded.inc({ ...labels, grade }, 0);
      this.hookFailures.inc(labels, 0);
    }
    entry.cr = cr;
    const history = cr.status?.history ?? [];
    // Backups that left history never come back: forget them, so the set stays as small as history.
    const names = new Set(history.map((b) => b.name));
    for (const id of entry.counted)
      if (!names.has(id.slice(0, id.lastIndexOf('/')))) entry.counted.delete(id);
    for (const backup of history) {
      if (backup.consistency)
        this.count(entry, `${backup.name}/${backup.consistency}`, baseline, () =>
          this.graded.inc({ ...labels, grade: backup.consistency ?? '' }),
        );
      const failed = failedHookExecutions(backup.evidence);
      if (backup.evidence && backup.evidence.unavailable === undefined)
        this.count(
          entry,
          `${backup.name}/hooks`,
          baseline,
          () => failed > 0 && this.hookFailures.inc(labels, failed),
        );
    }
  }

  /** The ConsistentBackup is gone: so are its series. */
  forget(key: string): void {
    const entry = this.tracked.get(key);
    if (!entry) return;
    this.tracked.delete(key);
    for (const grade of GRADES) this.graded.remove({ ...entry.labels, grade });
    this.hookFailures.remove(entry.labels);
  }

  private count(entry: Tracked, id: string, baseline: boolean, inc: () => unknown): void {
    if (entry.counted.has(id)) return;
    entry.counted.add(id);
    if (!baseline) inc();
  }
}

const drillGauges: GaugeDef<DrillRecoverability>[] = [
  {
    name: 'consistentbackup_drill_rto_target_seconds',
    help: 'The recovery time objective of a RestoreDrill (spec.rtoTarget)',
    value: (r) => r.rtoTargetSeconds,
  },
  {
    name: 'consistentbackup_drill_last_rto_seconds',
    help: "The last drill's recovery time: from asking Velero to restore until its restore and checks finished",
    value: (r) => r.lastRtoSeconds,
  },
  {
    name: 'consistentbackup_drill_recoverable',
    help: '1 while the last drill passed, 0 when it failed (no series before the first one finished)',
    value: (r) => (r.recoverable === undefined ? undefined : Number(r.recoverable)),
  },
  {
    name: 'consistentbackup_drill_last_verified_recovery_point_timestamp_seconds',
    help: 'Start of the newest backup a drill restored and checked, as Unix time',
    value: (r) => r.lastVerifiedRecoveryPointSeconds,
  },
];

/** Per-RestoreDrill series, labelled by the drill's namespace and name, read from its newest status. */
export class DrillMetrics {
  private readonly tracked = new Map<string, RestoreDrill>();

  constructor(registry: Registry) {
    registerGauges(registry, drillGauges, () =>
      [...this.tracked.values()].map((d) => ({ labels: labelsOf(d), r: drillRecoverability(d) })),
    );
  }

  /** The status just computed for a RestoreDrill. */
  observe(drill: RestoreDrill): void {
    const { namespace, name } = labelsOf(drill);
    this.tracked.set(`${namespace}/${name}`, drill);
  }

  /** The RestoreDrill is gone: so are its series. */
  forget(key: string): void {
    this.tracked.delete(key);
  }
}
