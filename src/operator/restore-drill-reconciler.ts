// The thin join for RestoreDrills: start the due run (a ConsistentRestore into a scratch namespace, created
// once under a name derived from its scheduled time or token), record finished runs in status, then delete
// them (their finalizer deletes the scratch namespace), and come back at the next scheduled time.
import type { EventRecorder, Informer, Logger, ReconcileOutcome, Reconciler } from '../core/index.ts';
import {
  DRILL_PLURAL,
  RESTORE_PLURAL,
  type ConsistentRestore,
  type RestoreDrill,
} from '../api/consistent-restore.ts';
import { computeDrillStatus, LABEL_DRILL_UID, planDrill, recordOf } from '../domain/restore/index.ts';
import type { RestoreWrites } from './restore-writes.ts';
import type { DrillMetrics } from './recoverability-metrics.ts';

export interface DrillReconcilerDeps {
  drills: Informer<RestoreDrill>;
  restores: Informer<ConsistentRestore>;
  writes: RestoreWrites;
  events: EventRecorder;
  logger: Logger;
  /** Per-RestoreDrill series; none when omitted. */
  metrics?: DrillMetrics;
  now?: () => number;
}

export class RestoreDrillReconciler implements Reconciler {
  private readonly now: () => number;

  constructor(private readonly deps: DrillReconcilerDeps) {
    this.now = deps.now ?? Date.now;
  }

  async reconcile(key: string): Promise<ReconcileOutcome | void> {
    const drill = this.deps.drills.get(key);
    if (!drill || drill.metadata?.deletionTimestamp) return this.deps.metrics?.forget(key);
    const now = this.now();
    const runs = this.deps.restores
      .list(drill.metadata?.namespace)
      .filter((r) => r.metadata?.labels?.[LABEL_DRILL_UID] === drill.metadata?.uid);
    const running = runs.some((r) => !recordOf(r) && !r.metadata?.deletionTimestamp);
    const plan = planDrill(drill, now);
    let started: { scheduledTime?: number; token?: string } | undefined;
    const created: ConsistentRestore[] = [];
    // One drill at a time: a due run waits for the running one (and is then found due again).
    if (plan.kind === 'run' && !running) {
      await this.deps.writes.createOnce(RESTORE_PLURAL, plan.run);
      created.push(plan.run);
      started = {
        ...(plan.scheduledTime !== undefined && { scheduledTime: plan.scheduledTime }),
        ...(plan.token && { token: plan.token }),
      };
      this.deps.logger.info('started restore drill', { key, run: plan.run.metadata?.name });
      this.deps.events.event(drill, {
        type: 'Normal',
        reason: 'DrillStarted',
        action: 'Drill',
        note: `restoring the newest consistent backup of ${drill.spec.consistentBackup} into a throwaway namespace (ConsistentRestore ${plan.run.metadata?.name})`,
      });
    }
    const status = computeDrillStatus({
      drill,
      runs: [...runs, ...created.filter((c) => !runs.some((r) => r.metadata?.name === c.metadata?.name))],
      ...(started && { started }),
      ...(plan.kind === 'idle' && plan.nextMs !== undefined && { nextMs: plan.nextMs }),
      ...(plan.kind === 'invalid' && { invalid: plan.message }),
      now,
    });
    if (await this.deps.writes.patchStatus(DRILL_PLURAL, drill, status)) {
      const before = drill.status?.history?.[0]?.run;
      const last = status.history?.[0];
      if (last && last.run !== before) {
        this.deps.events.event(drill, {
          type: last.result === 'Passed' ? 'Normal' : 'Warning',
          reason: last.result === 'Passed' ? 'DrillPassed' : 'DrillFailed',
          action: 'Drill',
          note: `drill ${last.run}: ${last.result} (${last.reason})${last.rtoSeconds !== undefined ? `, recovered in ${last.rtoSeconds}s` : ''}`,
        });
      }
    }
    this.deps.metrics?.observe({ ...drill, status });
    // Recorded runs go; their scratch namespaces go with them.
    for (const run of runs) {
      const recorded = status.history?.some((h) => h.run === run.metadata?.name);
      if (recorded && !run.metadata?.deletionTimestamp)
        await this.deps.writes.deleteObject(RESTORE_PLURAL, run);
    }
    if (plan.kind === 'idle' && plan.nextMs !== undefined) {
      return { requeueAfterMs: Math.max(0, plan.nextMs - now) };
    }
    return {};
  }
}
