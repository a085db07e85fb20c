// What preflight needs to know about a pod, and no more: the operator watches pods of every namespace that
// has ConsistentBackups, so it keeps this summary instead of whole Pod objects.
import {
  VELERO_EXCLUDE_FROM_BACKUP_LABEL,
  VELERO_LEGACY_HOOK_COMMAND_ANNOTATION,
  VELERO_POST_HOOK_COMMAND_ANNOTATION,
  VELERO_PRE_HOOK_COMMAND_ANNOTATION,
} from '../api/constants.ts';

export interface PodSummary {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** status.phase: Pending, Running, Succeeded, Failed or Unknown ('' before the kubelet reports). */
  readonly phase: string;
  /** Names of spec.containers (not init or ephemeral containers: Velero execs only into these). */
  readonly containers: readonly string[];
  /** Labelled velero.io/exclude-from-backup=true: Velero leaves the pod out, so runs no hook in it. */
  readonly excludedFromBackup: boolean;
  /** Whether Velero hook annotations replace every spec hook of that phase in this pod. */
  readonly hookAnnotations: { readonly pre: boolean; readonly post: boolean };
}

/** The parts of a Pod (client-node's V1Pod or plain JSON) a summary is made from. */
export interface PodFields {
  readonly metadata?: {
    readonly namespace?: string;
    readonly name?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec?: { readonly containers?: readonly { readonly name: string }[] };
  readonly status?: { readonly phase?: string };
}

/** Velero ignores an empty command annotation, so only a non-empty one overrides. */
function annotated(annotations: Readonly<Record<string, string>>, key: string): boolean {
  return (annotations[key] ?? '') !== '';
}

export function summarizePod(pod: PodFields): PodSummary {
  const annotations = pod.metadata?.annotations ?? {};
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    labels: { ...pod.metadata?.labels },
    excludedFromBackup: pod.metadata?.labels?.[VELERO_EXCLUDE_FROM_BACKUP_LABEL] === 'true',
    phase: pod.status?.phase ?? '',
    containers: (pod.spec?.containers ?? []).map((c) => c.name),
    hookAnnotations: {
      pre:
        annotated(annotations, VELERO_PRE_HOOK_COMMAND_ANNOTATION) ||
        annotated(annotations, VELERO_LEGACY_HOOK_COMMAND_ANNOTATION),
      post: annotated(annotations, VELERO_POST_HOOK_COMMAND_ANNOTATION),
    },
  };
}
