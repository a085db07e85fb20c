// Velero's backup hook accounting for one pod and one phase (internal/hook/item_hook_handler.go,
// hook_tracker.go, pkg/podexec): which hooks are attempted, which fail and why, and how many error-level log
// lines that costs the backup, and what the backup log says of each execution. Nothing is executed: no kubelet
// runs in the tests, so a Running pod's hook succeeds, printing what the test gives it, unless the test injects a
// failure or a timeout.
import type { V1Pod } from '@kubernetes/client-node';
import { formatGoDuration, parseGoDuration } from './go-duration.ts';
import { hookAppliesTo } from './velero-selection.ts';
import type { BackupResourceHookSpec, ExecHook, HookErrorMode } from './velero-types.ts';

export type HookPhase = 'pre' | 'post';

/** One hook Velero counted as attempted. */
export interface HookRun {
  /** namespace/name of the pod. */
  pod: string;
  phase: HookPhase;
  source: 'spec' | 'annotation';
  /** The resource hook's name; '' for an annotation hook. */
  hookName: string;
  index: number;
  /** The container the hook runs in (the pod's first container when the hook names none). */
  container: string;
  command: string[];
  onError?: HookErrorMode;
  /**
   * `not-run`: counted as attempted but skipped after an earlier onError=Fail failure of the same pod and
   * phase; `pod-finished`: the pod had Succeeded/Failed, which Velero treats as success without exec.
   */
  outcome: 'succeeded' | 'failed' | 'pod-finished' | 'not-run';
  error?: string;
}

/**
 * true makes a hook that would otherwise succeed fail (as if its command exited 1); 'timeout' makes it outlast
 * its timeout (it fails with "timed out after ..." and prints nothing).
 */
export type HookFailure = boolean | 'timeout';

/** What the test decides about a hook that would otherwise succeed: whether it fails, what it prints. */
export interface HookKnobs {
  fails(pod: V1Pod, hook: HookRun): HookFailure;
  /** The command's stdout (default: nothing). */
  stdout(pod: V1Pod, hook: HookRun): string | undefined;
}

/** One execution as the backup log shows it (a duplicate execution is logged although counted once). */
export interface HookExecution {
  run: HookRun;
  /** ExecutePodCommand's timeout as Go prints it ("30s" when the hook sets none). */
  timeout: string;
  /** The onError Velero logs: an unset one is logged as Fail (although it acts as Continue). */
  loggedOnError: HookErrorMode;
  /** Whether "running exec hook" was logged: not for a pod that had finished, nor for a check that failed first. */
  started: boolean;
  /** The command's stdout; undefined when it was not logged (not started, or timed out). */
  stdout?: string;
  /** A finished pod's phase: Velero logs that and treats the hook as succeeded without exec. */
  podPhase?: string;
}

/** hook.HookTracker: attempts are keyed, so a hook listed twice under the same key counts once. */
export class HookTracker {
  readonly runs: HookRun[] = [];
  /** Every execution in order, for the backup log. */
  readonly executions: HookExecution[] = [];
  private readonly keys = new Set<string>();
  /** Error-level lines in the backup log; they decide PartiallyFailed. */
  errorLines = 0;

  get attempted(): number {
    return this.runs.length;
  }

  get failed(): number {
    return this.runs.filter((r) => r.outcome === 'failed').length;
  }

  /** Records an attempt unless the same key was already attempted. The record may be completed later. */
  add(run: HookRun, declaredContainer: string): void {
    const key = JSON.stringify([run.pod, run.phase, run.source, run.hookName, run.index, declaredContainer]);
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.runs.push(run);
  }
}

const ANNOTATION_PREFIX = 'hook.backup.velero.io/';

/** getPodExecHookFromAnnotations: a hook exists only when the command annotation is non-empty. */
function annotationHook(annotations: Record<string, string>, prefix: string): ExecHook | undefined {
  const get = (key: string) => annotations[`${prefix}${ANNOTATION_PREFIX}${key}`] ?? '';
  const command = get('command');
  if (command === '') return undefined;
  let parsed: unknown = [command];
  if (command.startsWith('[')) {
    try {
      parsed = JSON.parse(command);
    } catch {
      parsed = [command];
    }
  }
  const onError = get('on-error');
  const timeout = get('timeout');
  return {
    container: get('container'),
    command: Array.isArray(parsed) ? parsed.map(String) : [command],
    onError: onError === 'Continue' || onError === 'Fail' ? onError : undefined,
    ...(timeout !== '' && { timeout }),
  };
}

interface ExecOutcome {
  container: string;
  error?: string;
  /** The pod's phase when it had finished (no exec). */
  finished?: string;
  /** Whether the exec was started ("running exec hook" logged). */
  started: boolean;
}

/** PodCommandExecutor.ExecutePodCommand's outcome, in its order of checks. */
function execOutcome(pod: V1Pod, hook: ExecHook): ExecOutcome {
  const containers = pod.spec?.containers ?? [];
  const container = hook.container || containers[0]?.name || '';
  const refused = (error: string) => ({ container, error, started: false });
  if (!hook.container && containers.length === 0) return refused('need at least 1 container');
  if (hook.container && !containers.some((c) => c.name === hook.container)) {
    return refused(`no such container: ${JSON.stringify(hook.container)}`);
  }
  if (hook.command.length === 0) return refused('command is required');
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return { container, finished: phase, started: false };
  if (phase !== 'Running') {
    // What the API server answers to pods/exec on a pod that is not running.
    const error = pod.spec?.nodeName
      ? `unable to upgrade connection: container not found (${JSON.stringify(container)})`
      : `pod ${pod.metadata?.name ?? ''} does not have a host assigned`;
    return { container, error, started: true };
  }
  return { container, started: true };
}

const DEFAULT_TIMEOUT = '30s';

/** The timeout ExecutePodCommand uses, as Go prints it: unset, zero or undecodable (annotation) -> 30s. */
function effectiveTimeout(timeout: string | undefined): string {
  try {
    const ms = timeout === undefined ? 0 : parseGoDuration(timeout);
    return ms > 0 ? formatGoDuration(ms) : DEFAULT_TIMEOUT;
  } catch {
    return DEFAULT_TIMEOUT;
  }
}

/**
 * DefaultItemHookHandler.HandleHooks for one pod and phase. Returns the error when the phase failed with
 * onError=Fail, which for a pre phase leaves the pod out of the backup and skips its post hooks.
 */
export function runPodHooks(
  phase: HookPhase,
  pod: V1Pod,
  resourceHooks: BackupResourceHookSpec[],
  tracker: HookTracker,
  knobs: HookKnobs,
): string | undefined {
  const annotations = pod.metadata?.annotations ?? {};
  const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
  /** The error of a failure with onError=Fail, which ends the phase. */
  const execute = (hook: ExecHook, run: Omit<HookRun, 'container' | 'outcome'>): string | undefined => {
    const result = execOutcome(pod, hook);
    const record: HookRun = { ...run, container: result.container, outcome: 'succeeded' };
    // A duplicate key still executes (and can still fail the phase); only its counting is skipped.
    tracker.add(record, hook.container ?? '');
    const timeout = effectiveTimeout(hook.timeout);
    const execution: HookExecution = {
      run: record,
      timeout,
      loggedOnError: hook.onError ?? 'Fail',
      started: result.started,
    };
    tracker.executions.push(execution);
    const failure = result.started && !result.error ? knobs.fails(pod, record) : false;
    const error =
      result.error ??
      (failure === 'timeout'
        ? `timed out after ${timeout}`
        : failure
          ? 'command terminated with exit code 1'
          : undefined);
    if (result.finished) {
      record.outcome = 'pod-finished';
      execution.podPhase = result.finished;
    } else if (error) Object.assign(record, { outcome: 'failed', error });
    // A timed-out exec is abandoned before its output is logged.
    if (result.started && failure !== 'timeout')
      execution.stdout = error ? '' : (knobs.stdout(pod, record) ?? '');
    if (record.outcome !== 'failed') return undefined;
    tracker.errorLines++; // "Error executing hook"
    return hook.onError === 'Fail' ? record.error : undefined;
  };

  // Annotations take priority over the backup's spec hooks; a pre phase also accepts the legacy unprefixed keys.
  const fromAnnotation =
    annotationHook(annotations, `${phase}.`) ??
    (phase === 'pre' ? annotationHook(annotations, '') : undefined);
  if (fromAnnotation) {
    const source = 'annotation';
    const base = {
      pod: key,
      phase,
      source,
      hookName: '',
      index: 0,
      command: fromAnnotation.command,
    } as const;
    return execute(fromAnnotation, { ...base, onError: fromAnnotation.onError });
  }

  let failedWithFail: string | undefined;
  for (const resourceHook of resourceHooks) {
    if (!hookAppliesTo(resourceHook, pod)) continue;
    (resourceHook[phase] ?? []).forEach(({ exec }, index) => {
      const run = { pod: key, phase, source: 'spec', hookName: resourceHook.name, index } as const;
      if (failedWithFail) {
        // After an onError=Fail failure the remaining hooks are only counted, never executed.
        const container = exec.container || pod.spec?.containers?.[0]?.name || '';
        const skipped: HookRun = {
          ...run,
          command: exec.command,
          onError: exec.onError,
          container,
          outcome: 'not-run',
        };
        tracker.add(skipped, exec.container ?? '');
        return;
      }
      failedWithFail = execute(exec, { ...run, command: exec.command, onError: exec.onError });
    });
  }
  return failedWithFail;
}
