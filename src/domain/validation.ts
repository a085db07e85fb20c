// Checks beyond what the CRD schema can express. A ConsistentBackup with problems gets no Velero object and a
// condition naming each problem; nothing here throws.
import type { ConsistentBackup, LabelSelector } from '../api/consistent-backup.ts';
import { podsLeftOutBy } from './backup-scope.ts';
import { isVeleroNamespaceAllowed, type OperatorConfig } from './config.ts';
import { parseDuration } from './duration.ts';
import { hookActions, type HookActions } from './hook-actions.ts';
import { selectorContradiction } from './label-selector.ts';
import { limitProblems } from './limits.ts';
import type { OwnerIdentity } from './names.ts';
import type { Problem } from './problems.ts';
import { runNowToken } from './run-now.ts';
import { resolveSchedule, type ResolvedSchedule } from './schedule.ts';

export interface ValidHook {
  readonly name: string;
  readonly selector: LabelSelector;
  readonly actions: HookActions;
}

/** A ConsistentBackup that passed validation, with what validation worked out along the way. */
export interface ValidatedConsistentBackup {
  readonly owner: OwnerIdentity;
  readonly veleroNamespace: string;
  /** Undefined for a ConsistentBackup without schedule. */
  readonly schedule: ResolvedSchedule | undefined;
  readonly hooks: readonly ValidHook[];
  readonly rpoMs: number | undefined;
  readonly ttlMs: number | undefined;
}

export type Validation = { ok: true; value: ValidatedConsistentBackup } | { ok: false; problems: Problem[] };

function ownerOfCr(cr: ConsistentBackup, problems: Problem[]): OwnerIdentity {
  const { namespace = '', name = '', uid = '' } = cr.metadata ?? {};
  if (!namespace || !name || !uid) {
    problems.push({
      field: 'metadata',
      reason: 'IncompleteMetadata',
      message: 'namespace, name and uid are required (the object must come from the API server)',
    });
  }
  return { namespace, name, uid };
}

function durationProblems(cr: ConsistentBackup): Problem[] {
  const fields: [string, string | undefined][] = [
    ['spec.rpo', cr.spec.rpo],
    ['spec.ttl', cr.spec.ttl],
    ...(cr.spec.hooks ?? []).flatMap((hook, i) =>
      (['pre', 'post'] as const).flatMap((phase) =>
        (hook[phase] ?? []).map((a, j): [string, string | undefined] => [
          `spec.hooks[${i}].${phase}[${j}].timeout`,
          a.timeout,
        ]),
      ),
    ),
  ];
  return fields
    .filter(([, value]) => value !== undefined && parseDuration(value) === undefined)
    .map(([field, value]) => ({
      field,
      reason: 'InvalidDuration',
      message: `"${value}" is not a duration such as 30s, 90m or 25h`,
    }));
}

function servedProblems(config: OperatorConfig, namespace: string): Problem[] {
  if (!config.watchNamespaces || config.watchNamespaces.includes(namespace)) return [];
  // Which namespaces it serves is none of this namespace's business.
  return [
    {
      field: 'metadata.namespace',
      reason: 'NamespaceNotServed',
      message: 'the operator is installed for a list of namespaces that does not include this one',
    },
  ];
}

function veleroProblems(config: OperatorConfig, veleroNamespace: string): Problem[] {
  if (isVeleroNamespaceAllowed(config, veleroNamespace)) return [];
  return [
    {
      field: 'spec.velero.namespace',
      reason: 'VeleroNamespaceNotAllowed',
      message: `the operator is not configured to use Velero namespace "${veleroNamespace}"`,
    },
  ];
}

/** Problems that keep hooks from ever running: Velero runs hooks only in pods the backup itself includes. */
function scopeProblems(cr: ConsistentBackup): Problem[] {
  const problems: Problem[] = [];
  const backupSelector = cr.spec.labelSelector;
  if (backupSelector) {
    const contradiction = selectorContradiction([backupSelector]);
    if (contradiction) {
      problems.push({
        field: 'spec.labelSelector',
        reason: 'SelectorCannotMatch',
        message: `the selector matches nothing: ${contradiction}`,
      });
    }
  }
  const hooks = cr.spec.hooks ?? [];
  if (hooks.length === 0) return problems;
  const leftOutBy = podsLeftOutBy(cr);
  if (leftOutBy) {
    problems.push({
      field: leftOutBy,
      reason: 'HooksCannotRun',
      message: `hooks are declared but pods are ${leftOutBy === 'spec.includedResources' ? 'not included' : 'excluded'}; Velero runs hooks only in pods it backs up`,
    });
  }
  hooks.forEach((hook, i) => {
    const field = `spec.hooks[${i}].selector`;
    const own = selectorContradiction([hook.selector]);
    if (own) {
      problems.push({ field, reason: 'SelectorCannotMatch', message: `the selector matches no pod: ${own}` });
      return;
    }
    const joint = backupSelector && selectorContradiction([backupSelector, hook.selector]);
    if (joint) {
      problems.push({
        field,
        reason: 'HooksCannotRun',
        message: `no pod matches both this selector and spec.labelSelector (${joint}); Velero runs hooks only in pods it backs up`,
      });
    }
  });
  return problems;
}

function validHooks(cr: ConsistentBackup, problems: Problem[]): ValidHook[] {
  const seen = new Set<string>();
  return (cr.spec.hooks ?? []).flatMap((hook, i) => {
    const field = `spec.hooks[${i}]`;
    if (seen.has(hook.name)) {
      problems.push({
        field: `${field}.name`,
        reason: 'DuplicateHookName',
        message: `hook name "${hook.name}" is used twice`,
      });
    }
    seen.add(hook.name);
    const actions = hookActions(hook, field);
    if ('problems' in actions) {
      problems.push(...actions.problems);
      return [];
    }
    return [{ name: hook.name, selector: hook.selector, actions }];
  });
}

export function validateConsistentBackup(cr: ConsistentBackup, config: OperatorConfig): Validation {
  const problems: Problem[] = [];
  const owner = ownerOfCr(cr, problems);
  const veleroNamespace = cr.spec.velero?.namespace ?? config.veleroNamespace;
  const schedule = resolveSchedule(cr.spec);
  if (schedule && 'problems' in schedule) problems.push(...schedule.problems);
  problems.push(
    ...durationProblems(cr),
    ...servedProblems(config, owner.namespace),
    ...veleroProblems(config, veleroNamespace),
    ...scopeProblems(cr),
    ...limitProblems(cr, config.limits),
  );
  const hooks = validHooks(cr, problems);
  const token = runNowToken(cr);
  if (token.problem) problems.push(token.problem);
  if (problems.length > 0 || (schedule && 'problems' in schedule)) return { ok: false, problems };
  return {
    ok: true,
    value: {
      owner,
      veleroNamespace,
      schedule,
      hooks,
      rpoMs: cr.spec.rpo === undefined ? undefined : parseDuration(cr.spec.rpo),
      ttlMs: cr.spec.ttl === undefined ? undefined : parseDuration(cr.spec.ttl),
    },
  };
}
