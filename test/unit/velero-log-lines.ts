// Velero v1.18's records of a backup, for the evidence tests: backup log lines as logrus' text formatter writes
// them (time, level, msg, then the other fields sorted; a value quoted when it holds anything but letters,
// digits and -._/@^+), the results' error entries and the resource list.
import type { HookPhase } from '../../src/domain/evidence/velero-log.ts';

/** One hook execution, as pod_command_executor.go logs it. */
export interface Exec {
  readonly hook: string;
  readonly phase: HookPhase;
  readonly container?: string;
  /** Velero's hookSource: "spec" for the Backup's hooks, "annotation" for a pod's own. */
  readonly source?: 'spec' | 'annotation';
  readonly onError?: 'Fail' | 'Continue';
}

const value = (v: string) => (/^[A-Za-z0-9\-._/@^+]*$/.test(v) ? v : JSON.stringify(v));

export function logLine(
  level: 'debug' | 'info' | 'warning' | 'error',
  msg: string,
  fields: Record<string, string>,
): string {
  const all: Record<string, string> = { ...fields, backup: 'velero/b1' };
  const sorted = Object.keys(all)
    .sort()
    .map((k) => `${k}=${value(all[k] ?? '')}`);
  return ['time="2026-12-02T10:00:00Z"', `level=${level}`, `msg=${value(msg)}`, ...sorted].join(' ');
}

function execFields(e: Exec, line: number): Record<string, string> {
  return {
    hookCommand: '[/bin/sh -c echo hi]',
    hookContainer: e.container ?? 'postgres',
    hookName: e.source === 'annotation' ? '<from-annotation>' : e.hook,
    hookOnError: e.onError ?? 'Fail',
    hookPhase: e.phase,
    hookSource: e.source ?? 'spec',
    hookTimeout: '{30s}',
    hookType: 'exec',
    logSource: `pkg/podexec/pod_command_executor.go:${line}`,
  };
}

export const run = (e: Exec) => logLine('info', 'running exec hook', execFields(e, 133));
export const stdout = (e: Exec, text: string) => logLine('info', `stdout: ${text}`, execFields(e, 180));
export const stderr = (e: Exec, text = '') => logLine('info', `stderr: ${text}`, execFields(e, 181));

/** "Error executing hook": the phase and the error, never the hook's name. */
export function failure(phase: HookPhase, error: string, source: 'spec' | 'annotation' = 'spec'): string {
  return logLine('error', 'Error executing hook', {
    error,
    hookPhase: phase,
    hookSource: source,
    hookType: 'exec',
    logSource: `internal/hook/item_hook_handler.go:${source === 'spec' ? 288 : 239}`,
  });
}

/**
 * The lines of one execution: "running exec hook", then its output, then its error if it failed; a timed-out
 * one logs no output.
 */
export function execution(
  e: Exec,
  outcome: { out?: string; error?: string; timedOut?: boolean } = {},
): string[] {
  if (outcome.timedOut) return [run(e), failure(e.phase, 'timed out after 1s', e.source)];
  const lines = [run(e), stdout(e, outcome.out ?? ''), stderr(e)];
  return outcome.error ? [...lines, failure(e.phase, outcome.error, e.source)] : lines;
}

/** Lines of a backup log that are not about hooks, though some name one. */
export const NOISE = [
  logLine('info', 'Setting up backup temp file', { logSource: 'pkg/controller/backup_controller.go:745' }),
  logLine('info', 'Backing Up Item Block including pods/shop/db-0 (1 items in the block)', {
    logSource: 'pkg/backup/backup.go:504',
  }),
  logLine('debug', 'Executing pre hooks', { hookPhase: 'pre', logSource: 'pkg/backup/backup.go:840' }),
  logLine('warning', 'Error recording the hook in hook tracker', {
    error: 'hook not exist in hook tracker',
    hookPhase: 'pre',
    hookSource: 'spec',
    hookType: 'exec',
    logSource: 'internal/hook/item_hook_handler.go:296',
  }),
];

export const log = (...lines: (string | readonly string[])[]) => `${lines.flat().join('\n')}\n`;

/** BackupResults JSON with these entries under errors.velero. */
export const results = (...velero: string[]) =>
  JSON.stringify({ errors: velero.length > 0 ? { velero } : {}, warnings: {} });

/** The results entry of an "Error executing hook" line: no pod, no hook. */
export const hookErrorEntry = (error: string) => ` message: /Error executing hook error: /${error}`;

/** The results entry of a pod whose pre (onError Fail) or post hooks failed. */
export const podHooksErrorEntry = (pod: string, phase: HookPhase, error: string) =>
  ` name: /${pod} message: /Error running ${phase} hooks for pod error: /${error}`;

/** BackupResourceList JSON: "namespace/name" per pod, plus items of other kinds. */
export const resourceList = (...pods: string[]) =>
  JSON.stringify({
    'v1/Namespace': ['shop'],
    'v1/PersistentVolumeClaim': ['shop/data-db-0'],
    'v1/Pod': pods,
  });
