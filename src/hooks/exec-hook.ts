/** A Velero exec hook as it goes into `spec.hooks.resources[].pre[]/post[].exec` (the container is added by the caller). */
export interface ExecHook {
  command: string[];
  /** A Go duration, e.g. "45s"; always set, since Velero's 30s default does not stop the command anyway. */
  timeout: string;
  onError: 'Fail' | 'Continue';
}

export type HookPhase = 'pre' | 'post';
