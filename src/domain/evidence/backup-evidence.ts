// Velero's records of a finished backup -> what status keeps of them: per hook, the executions the log shows
// and the ones its declared actions call for; the pods a failed pre hook left out; the hooks' `cbo.` lines.
// Everything here is read after the fact, so a backup gets the same evidence whoever watched it run.
import type { BackupEvidence, HookEvidence } from '../../api/consistent-backup.ts';
import type { VeleroBackup } from '../../api/velero.ts';
import { boundedList } from '../bounded-lists.ts';
import { readHookLog, type HookLogEvent, type HookPhase } from './velero-log.ts';

/** Velero's name for the hooks a pod declares in its own annotations. */
export const ANNOTATION_HOOK_NAME = '<from-annotation>';
export const MAX_MARKERS = 16;
export const MAX_MARKER_LENGTH = 300;
const MAX_HOOKS = 33;

/** The raw records, as Velero serves them through DownloadRequests (decompressed). */
export interface VeleroRecords {
  /** BackupLog: logrus text lines. */
  readonly log: string;
  /** BackupResults: JSON `{errors: {velero, cluster, namespaces}, warnings: ...}`. */
  readonly results: string;
  /** BackupResourceList: JSON `{"v1/Pod": ["namespace/name", ...], ...}`. */
  readonly resourceList: string;
}

interface Tally {
  attempted: number;
  failed: number;
  runs: Record<HookPhase, number>;
}

/**
 * Declared actions per hook and phase, from the Backup Velero ran (not today's spec): for each, whether its
 * failure stops the pod's remaining hooks of the phase. Velero decides that on the declared onError (unset acts
 * as Continue), not on the defaulted value it logs.
 */
function declaredActions(backup: VeleroBackup): Map<string, Record<HookPhase, boolean[]>> {
  const declared = new Map<string, Record<HookPhase, boolean[]>>();
  const stops = (actions: { exec: { onError?: string } }[] | undefined) =>
    (actions ?? []).map((a) => a.exec.onError === 'Fail');
  for (const r of backup.spec.hooks?.resources ?? []) {
    declared.set(r.name, { pre: stops(r.pre), post: stops(r.post) });
  }
  return declared;
}

/** The container a failure names, for one that happened before "running exec hook" (a missing container). */
function missingContainer(error: string): string | undefined {
  return /no such container: "?([^"\s]+)"?/.exec(error)?.[1];
}

/**
 * Per hook, the executions Velero's log shows. Velero counts every action of a pod's phase as attempted, also
 * those it skips after an action with onError Fail failed (it logs nothing for them): they are counted here
 * too, so the sums add up to Velero's own hooksAttempted.
 */
function tallyHooks(
  events: readonly HookLogEvent[],
  declared: ReadonlyMap<string, Record<HookPhase, boolean[]>>,
  containers: ReadonlyMap<string, string>,
): { tallies: Map<string, Tally>; unattributed: number } {
  const tallies = new Map<string, Tally>();
  const tally = (hook: string) => {
    let t = tallies.get(hook);
    if (!t) tallies.set(hook, (t = { attempted: 0, failed: 0, runs: { pre: 0, post: 0 } }));
    return t;
  };
  const count = (hook: string, phase: HookPhase, n = 1) => {
    tally(hook).attempted += n;
    tally(hook).runs[phase] += n;
  };
  /** The actions of `hook` in `phase` that a failure of its `done`-th in one pod skips (none unless Fail). */
  const skippedAfter = (hook: string, phase: HookPhase, done: number) => {
    const actions = declared.get(hook)?.[phase] ?? [];
    if (actions.length === 0) return 0;
    const index = (done - 1) % actions.length;
    return actions[index] ? actions.length - index - 1 : 0;
  };
  let unattributed = 0;
  // With Velero's default single item-block worker, a pod's hook lines are contiguous: an error belongs to
  // the execution logged just before it, if no error answered that one yet. A command that exits non-zero
  // has its stdout and stderr logged before its error, so output does not answer it.
  let open: { hook: string; phase: HookPhase; done: number } | undefined;
  let streak: { hook: string; phase: HookPhase; done: number } | undefined;
  for (const event of events) {
    if (event.kind === 'run') {
      count(event.hook, event.phase);
      const done = streak?.hook === event.hook && streak.phase === event.phase ? streak.done + 1 : 1;
      streak = { hook: event.hook, phase: event.phase, done };
      open = { hook: event.hook, phase: event.phase, done };
    } else if (event.kind === 'error') {
      const container = missingContainer(event.error);
      if (container !== undefined) {
        // Fails before "running exec hook", at the first of the hook's actions in that pod.
        const hook =
          event.source === 'annotation'
            ? ANNOTATION_HOOK_NAME
            : containers.get(`${event.phase}/${container}`);
        if (hook === undefined) {
          unattributed++;
        } else {
          count(hook, event.phase);
          tally(hook).failed++;
          count(hook, event.phase, skippedAfter(hook, event.phase, 1));
        }
        streak = undefined;
      } else if (open && open.phase === event.phase) {
        tally(open.hook).failed++;
        count(open.hook, open.phase, skippedAfter(open.hook, open.phase, open.done));
        streak = undefined;
      } else {
        unattributed++;
      }
      open = undefined;
    }
  }
  return { tallies, unattributed };
}

/** The hooks' `cbo.` lines from their stdout, prefixed with the hook name, bounded. */
function markers(events: readonly HookLogEvent[]): string[] {
  const lines: string[] = [];
  for (const event of events) {
    if (event.kind !== 'stdout') continue;
    for (const line of event.text.split('\n')) {
      const trimmed = line.trim();
      if (!/^cbo\.[a-z][a-z-]*( |$)/.test(trimmed)) continue;
      const marker = `${event.hook}: ${trimmed}`;
      lines.push(
        marker.length <= MAX_MARKER_LENGTH ? marker : `${marker.slice(0, MAX_MARKER_LENGTH - 3)}...`,
      );
    }
  }
  return lines.length <= MAX_MARKERS
    ? lines
    : [...lines.slice(0, MAX_MARKERS - 1), `... and ${lines.length - MAX_MARKERS + 1} more`];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Pods of `namespace` in the resource list. */
function podsInBackup(resourceList: string, namespace: string): Set<string> {
  const list = parseJson(resourceList) as Record<string, unknown> | undefined;
  const pods = Array.isArray(list?.['v1/Pod']) ? (list['v1/Pod'] as unknown[]) : [];
  const prefix = `${namespace}/`;
  return new Set(
    pods
      .filter((p): p is string => typeof p === 'string' && p.startsWith(prefix))
      .map((p) => p.slice(prefix.length)),
  );
}

/**
 * Pods a failed pre hook left out of the backup, from Velero's results (" name: /<pod> message: /Error running
 * pre hooks for pod error: /..."), in order, without repeats. Velero flags such a pod as backed up so that it is
 * skipped, so the resource list names it all the same: only this error tells. A failed post hook, or "Error
 * backing up item" (any kind of item), does not mean a pod was left out.
 */
function podsLeftOut(results: string): string[] {
  const parsed = parseJson(results) as { errors?: { velero?: unknown; namespaces?: unknown } } | undefined;
  const velero = Array.isArray(parsed?.errors?.velero) ? (parsed.errors.velero as unknown[]) : [];
  const named = velero
    .filter((e): e is string => typeof e === 'string')
    .map((e) => /name: \/(\S+) message: \/Error running pre hooks for pod/.exec(e)?.[1])
    .filter((p): p is string => p !== undefined);
  return [...new Set(named)];
}

export function summarizeEvidence(backup: VeleroBackup, records: VeleroRecords): BackupEvidence {
  const namespace = backup.spec.includedNamespaces?.[0] ?? '';
  const declared = declaredActions(backup);
  const containers = new Map<string, string>();
  for (const r of backup.spec.hooks?.resources ?? []) {
    for (const phase of ['pre', 'post'] as const) {
      for (const action of r[phase] ?? []) {
        const key = `${phase}/${action.exec.container ?? ''}`;
        if (!containers.has(key)) containers.set(key, r.name);
      }
    }
  }
  const events = readHookLog(records.log);
  const { tallies, unattributed } = tallyHooks(events, declared, containers);
  const names = [...declared.keys(), ...[...tallies.keys()].filter((n) => !declared.has(n))];
  const hooks: HookEvidence[] = names.slice(0, MAX_HOOKS).map((name) => {
    const t = tallies.get(name) ?? { attempted: 0, failed: 0, runs: { pre: 0, post: 0 } };
    const actions = declared.get(name);
    const pods = actions
      ? Math.max(
          actions.pre.length > 0 ? Math.ceil(t.runs.pre / actions.pre.length) : 0,
          actions.post.length > 0 ? Math.ceil(t.runs.post / actions.post.length) : 0,
        )
      : 0;
    return {
      name,
      expected: actions ? pods * (actions.pre.length + actions.post.length) : t.attempted,
      attempted: t.attempted,
      failed: t.failed,
    };
  });
  const backedUp = podsInBackup(records.resourceList, namespace);
  const leftOut = podsLeftOut(records.results);
  const found = markers(events);
  return {
    hooks,
    ...(unattributed > 0 && { unattributedFailures: unattributed }),
    // Velero lists a pod a failed pre hook left out as if backed up (so that it is skipped).
    podsBackedUp: [...backedUp].filter((pod) => !leftOut.includes(pod)).length,
    ...(leftOut.length > 0 && { podsLeftOut: boundedList(leftOut) }),
    ...(found.length > 0 && { markers: found }),
  };
}
