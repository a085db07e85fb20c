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

/** Declared actions per hook and phase, from the Backup Velero ran (not today's spec). */
function declaredActions(backup: VeleroBackup): Map<string, Record<HookPhase, number>> {
  const declared = new Map<string, Record<HookPhase, number>>();
  for (const r of backup.spec.hooks?.resources ?? []) {
    declared.set(r.name, { pre: r.pre?.length ?? 0, post: r.post?.length ?? 0 });
  }
  return declared;
}

/** The container a failure names, for one that happened before "running exec hook" (a missing container). */
function missingContainer(error: string): string | undefined {
  return /no such container: "?([^"\s]+)"?/.exec(error)?.[1];
}

function tallyHooks(
  events: readonly HookLogEvent[],
  containers: ReadonlyMap<string, string>,
): { tallies: Map<string, Tally>; unattributed: number } {
  const tallies = new Map<string, Tally>();
  const tally = (hook: string) => {
    let t = tallies.get(hook);
    if (!t) tallies.set(hook, (t = { attempted: 0, failed: 0, runs: { pre: 0, post: 0 } }));
    return t;
  };
  let unattributed = 0;
  // With Velero's default single item-block worker, a pod's hook lines are contiguous: an error belongs to
  // the execution logged just before it, if no error answered that one yet. A command that exits non-zero
  // has its stdout and stderr logged before its error, so output does not answer it.
  let open: { hook: string; phase: HookPhase } | undefined;
  for (const event of events) {
    if (event.kind === 'run') {
      tally(event.hook).attempted++;
      tally(event.hook).runs[event.phase]++;
      open = { hook: event.hook, phase: event.phase };
    } else if (event.kind === 'error') {
      const container = missingContainer(event.error);
      const hook =
        container === undefined
          ? open?.hook
          : event.source === 'annotation'
            ? ANNOTATION_HOOK_NAME
            : containers.get(`${event.phase}/${container}`);
      if (container !== undefined && hook !== undefined) {
        tally(hook).attempted++;
        tally(hook).runs[event.phase]++;
        tally(hook).failed++;
      } else if (container === undefined && open && open.phase === event.phase) {
        tally(open.hook).failed++;
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
  const { tallies, unattributed } = tallyHooks(events, containers);
  const names = [...declared.keys(), ...[...tallies.keys()].filter((n) => !declared.has(n))];
  const hooks: HookEvidence[] = names.slice(0, MAX_HOOKS).map((name) => {
    const t = tallies.get(name) ?? { attempted: 0, failed: 0, runs: { pre: 0, post: 0 } };
    const actions = declared.get(name);
    const pods = actions
      ? Math.max(
          actions.pre > 0 ? Math.ceil(t.runs.pre / actions.pre) : 0,
          actions.post > 0 ? Math.ceil(t.runs.post / actions.post) : 0,
        )
      : 0;
    return {
      name,
      expected: actions ? pods * (actions.pre + actions.post) : t.attempted,
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
    podsBackedUp: backedUp.size,
    ...(leftOut.length > 0 && { podsLeftOut: boundedList(leftOut) }),
    ...(found.length > 0 && { markers: found }),
  };
}
