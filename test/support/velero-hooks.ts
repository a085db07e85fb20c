// Velero's backup hook accounting for one pod and one phase (internal/hook/item_hook_handler.go,
// hook_tracker.go, pkg/podexec): which hooks are attempted, which fail and why, and how many error-level log
// lines that costs the backup. Nothing is executed: no kubelet runs in the tests, so a Running pod's hook
// succeeds unless the test injects a failure.
import type { V1Pod } from '@kubernetes/client-node';
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

/** Returns true to make a hook that would otherwise succeed fail (as if its command exited 1). */
export type HookFailurePredicate = (pod: V1Pod, hook: HookRun) => boolean;

/** hook.HookTracker: attempts are keyed, so a hook listed twice under the same key counts once. */
export class HookTracker {
  readonly runs: HookRun[] = [];
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
  return {
    container: get('container'),
    command: Array.isArray(parsed) ? parsed.map(String) : [command],
    onError: onError === 'Continue' || onError === 'Fail' ? onError : undefined,
  };
}

/** PodCommandExecutor.ExecutePodCommand's outcome, in its order of checks. */
function execOutcome(pod: V1Pod, hook: ExecHook): { container: string; error?: string; finished?: boolean } {
  const containers = pod.spec?.containers ?? [];
  const container = hook.container || containers[0]?.name || '';
  if (!hook.container && containers.length === 0) return { container, error: 'need at least 1 container' };
  if (hook.container && !containers.some((c) => c.name === hook.container)) {
    return { container, error: `no such container: ${JSON.stringify(hook.container)}` };
  }
  if (hook.command.length === 0) return { container, error: 'command is required' };
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return { container, finished: true };
  if (phase !== 'Running') {
    // What the API server answers to pods/exec on a pod that is not running.
    return pod.spec?.nodeName
      ? {
          container,
          error: `unable to upgrade connection: container not found (${JSON.stringify(container)})`,
        }
      : { container, error: `pod ${pod.metadata?.name ?? ''} does not have a host assigned` };
  }
  return { container };
}

/**
 * DefaultItemHookHandler.HandleHooks for one pod and phase. Returns true when the phase failed with
 * onError=Fail, which for a pre phase leaves the pod out of the backup and skips its post hooks.
 */
export function runPodHooks(
  phase: HookPhase,
  pod: V1Pod,
  resourceHooks: BackupResourceHookSpec[],
  tracker: HookTracker,
  shouldFail: HookFailurePredicate,
): boolean {
  const annotations = pod.metadata?.annotations ?? {};
  const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
  const execute = (hook: ExecHook, run: Omit<HookRun, 'container' | 'outcome'>): boolean => {
    const result = execOutcome(pod, hook);
    const record: HookRun = { ...run, container: result.container, outcome: 'succeeded' };
    // A duplicate key still executes (and can still fail the phase); only its counting is skipped.
    tracker.add(record, hook.container ?? '');
    if (result.finished) record.outcome = 'pod-finished';
    else if (result.error) Object.assign(record, { outcome: 'failed', error: result.error });
    else if (shouldFail(pod, record)) {
      Object.assign(record, { outcome: 'failed', error: 'command terminated with exit code 1' });
    }
    if (record.outcome !== 'failed') return false;
    tracker.errorLines++; // "Error executing hook"
    return hook.onError === 'Fail';
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

  let failedWithFail = false;
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
