// Restore drills: on a cron (in a time zone) or on run-now, restore the newest consistent backup into a
// throwaway namespace through a ConsistentRestore the drill owns, and record what it proved: the recovery
// point verified, the RTO measured (Velero Restore created -> restore and checks finished), Recoverable and
// RTOMet. Names are derived from the scheduled time or the token, so a restarted operator makes no second run.
import { createHash } from 'node:crypto';
import { API_VERSION, GROUP, RUN_NOW_ANNOTATION } from '../../api/constants.ts';
import type { Condition } from '../../api/consistent-backup.ts';
import type {
  ConsistentRestore,
  DrillRecord,
  RestoreDrill,
  RestoreDrillStatus,
} from '../../api/consistent-restore.ts';
import { RESTORE_KIND, DRILL_KIND } from '../../api/consistent-restore.ts';
import { setCondition } from '../conditions.ts';
import { nextCronRun } from '../cron/runs.ts';
import { formatDuration, parseDuration } from '../duration.ts';
import { resolveSchedule } from '../schedule.ts';
import { formatTime, toMillis } from '../time.ts';

export const LABEL_DRILL_NAME = `${GROUP}/drill-name`;
export const LABEL_DRILL_UID = `${GROUP}/drill-uid`;
export const DRILL_HISTORY_LIMIT = 10;
const RECENT_FOR_WORST = 5;
const MAX_TOKENS = 20;

export type DrillPlan =
  | { kind: 'invalid'; message: string }
  /** Run now: this ConsistentRestore (create once). */
  | { kind: 'run'; run: ConsistentRestore; scheduledTime?: number; token?: string }
  /** Nothing due; wake at the next scheduled time, if any. */
  | { kind: 'idle'; nextMs?: number };

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/** `<drill>-<hash of uid and run>`: at most 63 characters, the same for the same run every time. */
export function drillRunName(drill: RestoreDrill, run: string): string {
  const name = (drill.metadata?.name ?? 'drill').slice(0, 63 - 11).replace(/[-.]+$/, '');
  return `${name}-${hash(`${drill.metadata?.uid}/${run}`)}`;
}

/**
 * What to do now. A drill already running is left alone (the caller checks); a scheduled time missed while
 * the operator was down runs once (the newest one), like a Kubernetes CronJob without a backlog.
 */
export function planDrill(drill: RestoreDrill, nowMs: number): DrillPlan {
  const token = drill.metadata?.annotations?.[RUN_NOW_ANNOTATION]?.trim();
  if (token && !(drill.status?.processedRunTokens ?? []).includes(token)) {
    return { kind: 'run', run: drillRun(drill, drillRunName(drill, `token/${token}`)), token };
  }
  if (!drill.spec.schedule) return { kind: 'idle' };
  const resolved = resolveSchedule({
    schedule: drill.spec.schedule,
    ...(drill.spec.timeZone && { timeZone: drill.spec.timeZone }),
  });
  if (resolved && 'problems' in resolved) {
    return { kind: 'invalid', message: resolved.problems.map((p) => `${p.field}: ${p.message}`).join('; ') };
  }
  if (!resolved || resolved.cron.kind !== 'cron') {
    return {
      kind: 'invalid',
      message: 'spec.schedule: a drill takes a cron schedule (5 fields), not @every',
    };
  }
  const anchor =
    toMillis(drill.status?.lastScheduledTime) ?? toMillis(drill.metadata?.creationTimestamp) ?? nowMs;
  let due: number | undefined;
  let next = nextCronRun(resolved.cron, resolved.timeZone, anchor);
  while (next !== undefined && next <= nowMs) {
    due = next;
    next = nextCronRun(resolved.cron, resolved.timeZone, next);
  }
  if (due === undefined) return { kind: 'idle', ...(next !== undefined && { nextMs: next }) };
  return {
    kind: 'run',
    run: drillRun(drill, drillRunName(drill, `scheduled/${formatTime(due)}`)),
    scheduledTime: due,
  };
}

/** The ConsistentRestore of one drill run: always into a scratch namespace, owned by the drill. */
export function drillRun(drill: RestoreDrill, name: string): ConsistentRestore {
  return {
    apiVersion: API_VERSION,
    kind: RESTORE_KIND,
    metadata: {
      name,
      namespace: drill.metadata?.namespace ?? '',
      labels: {
        [LABEL_DRILL_NAME]: drill.metadata?.name ?? '',
        [LABEL_DRILL_UID]: drill.metadata?.uid ?? '',
      },
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: DRILL_KIND,
          name: drill.metadata?.name ?? '',
          uid: drill.metadata?.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      source: { consistentBackup: drill.spec.consistentBackup },
      target: 'ScratchNamespace',
      ...(drill.spec.hooks && { hooks: drill.spec.hooks }),
      ...(drill.spec.checks && { checks: drill.spec.checks }),
    },
  };
}

/** The record of a finished run (Succeeded or Failed), or undefined while it is not finished. */
export function recordOf(run: ConsistentRestore): DrillRecord | undefined {
  const s = run.status;
  if (s?.phase !== 'Succeeded' && s?.phase !== 'Failed' && s?.phase !== 'Refused' && s?.phase !== 'Invalid') {
    return undefined;
  }
  const checks = s.conditions?.find((c) => c.type === 'ChecksPassed');
  return {
    run: run.metadata?.name ?? '',
    ...(s.backupName && { backupName: s.backupName }),
    ...(s.recoveryPoint && { recoveryPoint: s.recoveryPoint }),
    ...(s.startTime && { startTime: s.startTime }),
    result: s.phase === 'Succeeded' ? 'Passed' : 'Failed',
    reason: s.phase === 'Succeeded' || s.phase === 'Failed' ? (checks?.reason ?? s.phase) : s.phase,
    ...(s.durationSeconds !== undefined && { rtoSeconds: s.durationSeconds }),
  };
}

export interface DrillStatusInputs {
  drill: RestoreDrill;
  /** The drill's ConsistentRestores that exist now. */
  runs: readonly ConsistentRestore[];
  /** What this reconcile started (its scheduled time or token are now taken). */
  started?: { scheduledTime?: number; token?: string };
  nextMs?: number;
  invalid?: string;
  now: number;
}

/** The drill's status: history from finished runs, the verification summary, Recoverable and RTOMet. */
export function computeDrillStatus(input: DrillStatusInputs): RestoreDrillStatus {
  const { drill, runs, started, now } = input;
  const previous = drill.status ?? {};
  const generation = drill.metadata?.generation;
  let history = [...(previous.history ?? [])];
  for (const run of runs) {
    const record = recordOf(run);
    if (record && !history.some((h) => h.run === record.run)) history = [record, ...history];
  }
  history = history
    .sort((a, b) => (toMillis(b.startTime) ?? 0) - (toMillis(a.startTime) ?? 0))
    .slice(0, DRILL_HISTORY_LIMIT);
  const current = runs.find((r) => !recordOf(r));
  const targetMs = drill.spec.rtoTarget ? parseDuration(drill.spec.rtoTarget) : undefined;
  const last = history[0];
  const lastPassed = history.find((h) => h.result === 'Passed');
  const recent = history.slice(0, RECENT_FOR_WORST).filter((h) => h.rtoSeconds !== undefined);
  const worstSeconds = recent.length > 0 ? Math.max(...recent.map((h) => h.rtoSeconds ?? 0)) : undefined;
  let conditions: Condition[] = previous.conditions ?? [];
  const set = (type: string, status: Condition['status'], reason: string, message: string) => {
    conditions = setCondition(conditions, { type, status, reason, message }, now, generation);
  };
  if (input.invalid) set('Ready', 'False', 'InvalidSpec', input.invalid);
  else set('Ready', 'True', 'Ready', 'the drill is scheduled');
  if (!last) {
    set('Recoverable', 'Unknown', 'NoDrillYet', 'no drill has finished yet');
  } else if (last.result === 'Passed') {
    set(
      'Recoverable',
      'True',
      'DrillPassed',
      `drill ${last.run} restored ${last.backupName} and its checks passed`,
    );
  } else {
    set('Recoverable', 'False', last.reason, `drill ${last.run} failed (${last.reason})`);
  }
  if (targetMs === undefined) {
    conditions = conditions.filter((c) => c.type !== 'RTOMet');
  } else if (last?.result !== 'Passed' || last.rtoSeconds === undefined) {
    set('RTOMet', last ? 'False' : 'Unknown', last ? 'NotRecovered' : 'NoDrillYet', 'no measured recovery');
  } else {
    const met = last.rtoSeconds * 1000 <= targetMs;
    set(
      'RTOMet',
      met ? 'True' : 'False',
      met ? 'RTOMet' : 'RTOExceeded',
      `the last drill recovered in ${formatDuration(last.rtoSeconds * 1000)}; the target is ${drill.spec.rtoTarget}`,
    );
  }
  const tokens = [...(previous.processedRunTokens ?? [])];
  if (started?.token && !tokens.includes(started.token)) tokens.push(started.token);
  const lastScheduled = started?.scheduledTime ?? toMillis(previous.lastScheduledTime);
  return {
    ...(generation !== undefined && { observedGeneration: generation }),
    ...(current && { currentRun: current.metadata?.name }),
    ...(input.nextMs !== undefined && { nextDrillTime: formatTime(input.nextMs) }),
    ...(lastScheduled !== undefined && { lastScheduledTime: formatTime(lastScheduled) }),
    ...(tokens.length > 0 && { processedRunTokens: tokens.slice(-MAX_TOKENS) }),
    ...(last && {
      verification: {
        ...(lastPassed?.recoveryPoint && { lastVerifiedRecoveryPoint: lastPassed.recoveryPoint }),
        ...(lastPassed?.backupName && { lastVerifiedBackup: lastPassed.backupName }),
        ...(last.startTime && { lastDrillTime: last.startTime }),
        result: last.result,
        reason: last.reason,
        rto: {
          ...(drill.spec.rtoTarget && { target: drill.spec.rtoTarget }),
          ...(last.rtoSeconds !== undefined && {
            lastSeconds: last.rtoSeconds,
            last: formatDuration(last.rtoSeconds * 1000),
          }),
          ...(worstSeconds !== undefined && { worstSeconds, worst: formatDuration(worstSeconds * 1000) }),
        },
      },
    }),
    history,
    conditions,
  };
}

/**
 * The backups a drill restored and checked: its last verified one and the passed runs it still remembers
 * (a newer one may expire first). Which ConsistentBackup they belong to is for the caller to check.
 */
export function verifiedBackups(drill: RestoreDrill): string[] {
  const { verification, history = [] } = drill.status ?? {};
  const names = [
    verification?.lastVerifiedBackup,
    ...history.filter((h) => h.result === 'Passed').map((h) => h.backupName),
  ];
  return [...new Set(names.filter((n): n is string => n !== undefined))];
}
