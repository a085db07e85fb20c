// The Velero Restore a ConsistentRestore wants: the one namespace of its backup, mapped into the scratch
// namespace (or left in place on purpose), with the restore hooks and then the checks as post hooks that run
// only in the target namespace. Every wait is bounded: Velero's default waitTimeout is forever.
import { VELERO_API_VERSION } from '../../api/constants.ts';
import type { ConsistentRestore, RestoreCheck, RestoreHook } from '../../api/consistent-restore.ts';
import type { VeleroRestore, VeleroRestoreHookResource } from '../../api/velero.ts';
import { expandRestoreCheck } from '../../hooks/presets/restore-check.ts';
import type { OwnerIdentity } from '../names.ts';
import { restoreNames, veleroRestoreLabels } from './names.ts';

export const DEFAULT_WAIT_TIMEOUT = '5m';
export const DEFAULT_EXEC_TIMEOUT = '30s';

export interface RestorePlan {
  restore: VeleroRestore;
  targetNamespace: string;
  /** Exec actions declared (hooks and checks); each must run at least once for the checks to count. */
  declaredActions: number;
}

export type PlanResult = { ok: true; plan: RestorePlan } | { ok: false; problems: string[] };

export function identityOf(cr: ConsistentRestore): OwnerIdentity {
  return {
    namespace: cr.metadata?.namespace ?? '',
    name: cr.metadata?.name ?? '',
    uid: cr.metadata?.uid ?? '',
  };
}

export function targetNamespaceOf(cr: ConsistentRestore): string {
  const identity = identityOf(cr);
  return cr.spec.target === 'InPlace' ? identity.namespace : restoreNames(identity).scratchNamespace;
}

export function planRestore(cr: ConsistentRestore, backupName: string, veleroNamespace: string): PlanResult {
  const identity = identityOf(cr);
  const target = targetNamespaceOf(cr);
  const problems: string[] = [];
  const scope = { includedNamespaces: [target] };
  const resources: VeleroRestoreHookResource[] = [
    ...(cr.spec.hooks ?? []).map((h, i) => hookResource(h, `hooks[${i}]`, scope, problems)),
    ...(cr.spec.checks ?? []).map((c, i) => checkResource(c, `checks[${i}]`, scope, problems)),
  ];
  if (problems.length > 0) return { ok: false, problems };
  const restore: VeleroRestore = {
    apiVersion: VELERO_API_VERSION,
    kind: 'Restore',
    metadata: {
      name: restoreNames(identity).veleroRestore,
      namespace: veleroNamespace,
      labels: veleroRestoreLabels(identity),
    },
    spec: {
      backupName,
      includedNamespaces: [identity.namespace],
      ...(target !== identity.namespace && { namespaceMapping: { [identity.namespace]: target } }),
      includeClusterResources: false,
      ...(resources.length > 0 && { hooks: { resources } }),
    },
  };
  return { ok: true, plan: { restore, targetNamespace: target, declaredActions: declaredActions(restore) } };
}

/** The exec actions a Velero Restore declares: what Velero runs, whatever the ConsistentRestore says now. */
export function declaredActions(restore: VeleroRestore): number {
  return (restore.spec.hooks?.resources ?? []).reduce(
    (n, r) => n + (r.postHooks ?? []).filter((h) => 'exec' in h).length,
    0,
  );
}

function hookResource(
  hook: RestoreHook,
  field: string,
  scope: { includedNamespaces: string[] },
  problems: string[],
): VeleroRestoreHookResource {
  if (!hook.exec?.length && !hook.init) problems.push(`${field}: declares neither exec nor init`);
  return {
    name: hook.name,
    ...scope,
    labelSelector: { matchLabels: hook.selector.matchLabels ?? {} },
    postHooks: [
      ...(hook.init
        ? [
            {
              init: {
                initContainers: hook.init.initContainers,
                timeout: hook.init.timeout ?? DEFAULT_WAIT_TIMEOUT,
              },
            },
          ]
        : []),
      ...(hook.exec ?? []).map((action) => ({
        exec: {
          ...(hook.container && { container: hook.container }),
          command: action.command,
          onError: action.onError ?? 'Fail',
          execTimeout: action.execTimeout ?? DEFAULT_EXEC_TIMEOUT,
          waitTimeout: action.waitTimeout ?? DEFAULT_WAIT_TIMEOUT,
          waitForReady: action.waitForReady ?? true,
        },
      })),
    ],
  };
}

function checkResource(
  check: RestoreCheck,
  field: string,
  scope: { includedNamespaces: string[] },
  problems: string[],
): VeleroRestoreHookResource {
  let command = check.command ?? [];
  let execTimeout = check.timeout ?? DEFAULT_EXEC_TIMEOUT;
  if (check.preset) {
    const expanded = expandRestoreCheck(check.preset);
    if ('problems' in expanded) problems.push(...expanded.problems.map((p) => `${field}.preset: ${p}`));
    else ({ command, execTimeout } = expanded);
  } else if (command.length === 0) {
    problems.push(`${field}: declares neither preset nor command`);
  }
  return {
    name: `check-${check.name}`,
    ...scope,
    labelSelector: { matchLabels: check.selector.matchLabels ?? {} },
    postHooks: [
      {
        exec: {
          ...(check.container && { container: check.container }),
          command,
          // A failed check fails the restore; the checks after it in the same container are skipped.
          onError: 'Fail',
          execTimeout,
          waitTimeout: check.waitTimeout ?? DEFAULT_WAIT_TIMEOUT,
          waitForReady: true,
        },
      },
    ],
  };
}
