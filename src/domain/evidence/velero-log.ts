// The hook lines of a Velero backup log (v1.18: internal/hook/item_hook_handler.go and
// pkg/podexec/pod_command_executor.go). A hook execution logs "running exec hook" with its hook name, then
// "stdout: ..." and "stderr: ..." unless it timed out; a failure logs "Error executing hook" with the phase but
// no hook name; a missing container fails before "running exec hook"; a hook of a pod that already finished
// logs "Pod entered phase ..." instead. No line names the pod.
import { parseLogfmt } from './logfmt.ts';

export type HookPhase = 'pre' | 'post';

export type HookLogEvent =
  | {
      readonly kind: 'run';
      readonly hook: string;
      readonly phase: HookPhase;
      readonly container: string;
    }
  | { readonly kind: 'stdout'; readonly hook: string; readonly text: string }
  | {
      readonly kind: 'error';
      readonly phase: HookPhase;
      readonly error: string;
      /** Velero's hookSource: "annotation" for a pod's own hooks, "spec" for the Backup's. */
      readonly source: string;
    };

function phaseOf(value: string | undefined): HookPhase | undefined {
  return value === 'pre' || value === 'post' ? value : undefined;
}

/** The hook events of a backup log, in log order. */
export function readHookLog(log: string): HookLogEvent[] {
  const events: HookLogEvent[] = [];
  for (const line of log.split('\n')) {
    if (!line.includes('hook')) continue;
    const f = parseLogfmt(line);
    const phase = phaseOf(f.hookPhase);
    const msg = f.msg ?? '';
    if (msg === 'running exec hook' && phase && f.hookName) {
      events.push({ kind: 'run', hook: f.hookName, phase, container: f.hookContainer ?? '' });
    } else if (msg.startsWith('Pod entered phase ') && phase && f.hookName) {
      // A finished pod's hooks are skipped without error, and Velero counts them as attempted.
      events.push({ kind: 'run', hook: f.hookName, phase, container: f.hookContainer ?? '' });
    } else if (msg.startsWith('stdout: ') && f.hookName) {
      events.push({ kind: 'stdout', hook: f.hookName, text: msg.slice('stdout: '.length) });
    } else if (msg === 'Error executing hook' && phase) {
      events.push({ kind: 'error', phase, error: f.error ?? '', source: f.hookSource ?? '' });
    }
  }
  return events;
}
