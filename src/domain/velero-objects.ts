// ConsistentBackup -> the Velero objects that should exist: one Schedule for a scheduled ConsistentBackup, one
// Backup for one without schedule, and one Backup per new run-now token. While spec.onMissingHookTarget Skip
// holds backups back, the Schedule is paused and the Backups wait.
import type { BackupTrigger, ConsistentBackup } from '../api/consistent-backup.ts';
import {
  LABEL_TRIGGER,
  RUN_TOKEN_ANNOTATION,
  VELERO_API_VERSION,
  VELERO_SCHEDULE_NAME_LABEL,
} from '../api/constants.ts';
import type { VeleroBackup, VeleroBackupSpec, VeleroHookResource, VeleroSchedule } from '../api/velero.ts';
import type { OperatorConfig } from './config.ts';
import { missingHookTargets, skipsBackups, type MissingHookTargets } from './missing-hook-targets.ts';
import { veleroNames } from './names.ts';
import { ownerLabels } from './owner-labels.ts';
import type { Preflight } from './preflight.ts';
import type { Problem } from './problems.ts';
import { pendingRunToken } from './run-now.ts';
import { validateConsistentBackup, type ValidatedConsistentBackup } from './validation.ts';

export interface DesiredBackup {
  readonly backup: VeleroBackup;
  readonly trigger: Exclude<BackupTrigger, 'schedule'>;
  /** For run-now Backups: the token to record as processed once the Backup exists. */
  readonly runToken?: string;
}

export type DesiredVeleroObjects =
  | { readonly ok: false; readonly problems: Problem[] }
  | {
      readonly ok: true;
      readonly veleroNamespace: string;
      /** Server-side apply it: a Schedule may be updated (Velero copies its template into each Backup). */
      readonly schedule?: VeleroSchedule;
      /** Create each once and never update it: Velero writes into a Backup's spec. */
      readonly backups: DesiredBackup[];
      /**
       * Hooks without a pod to run in, by preflight. With policy Proceed the backups above go ahead anyway
       * (warn with an Event when creating one); with Skip they were held back.
       */
      readonly missingHookTargets?: MissingHookTargets;
    };

function hookResources(valid: ValidatedConsistentBackup): VeleroHookResource[] {
  return valid.hooks.map((hook) => ({
    name: hook.name,
    // Hooks run only in the ConsistentBackup's own namespace, whatever else is declared.
    includedNamespaces: [valid.owner.namespace],
    labelSelector: structuredClone(hook.selector),
    ...(hook.actions.pre.length > 0 && { pre: hook.actions.pre.map((exec) => ({ exec })) }),
    ...(hook.actions.post.length > 0 && { post: hook.actions.post.map((exec) => ({ exec })) }),
  }));
}

function backupSpec(cr: ConsistentBackup, valid: ValidatedConsistentBackup): VeleroBackupSpec {
  const { spec } = cr;
  const velero = spec.velero ?? {};
  const hooks = hookResources(valid);
  return {
    // Only the ConsistentBackup's own namespace, whatever else is declared.
    includedNamespaces: [valid.owner.namespace],
    ...(spec.includedResources?.length && { includedResources: [...spec.includedResources] }),
    ...(spec.excludedResources?.length && { excludedResources: [...spec.excludedResources] }),
    ...(spec.labelSelector && { labelSelector: structuredClone(spec.labelSelector) }),
    ...(spec.ttl !== undefined && { ttl: spec.ttl }),
    ...(velero.storageLocation !== undefined && { storageLocation: velero.storageLocation }),
    ...(velero.volumeSnapshotLocations?.length && {
      volumeSnapshotLocations: [...velero.volumeSnapshotLocations],
    }),
    ...(velero.snapshotVolumes !== undefined && { snapshotVolumes: velero.snapshotVolumes }),
    ...(velero.defaultVolumesToFsBackup !== undefined && {
      defaultVolumesToFsBackup: velero.defaultVolumesToFsBackup,
    }),
    ...(velero.snapshotMoveData !== undefined && { snapshotMoveData: velero.snapshotMoveData }),
    ...(hooks.length > 0 && { hooks: { resources: hooks } }),
  };
}

function backupObject(
  name: string,
  valid: ValidatedConsistentBackup,
  spec: VeleroBackupSpec,
  labels: Record<string, string>,
  annotations?: Record<string, string>,
): VeleroBackup {
  return {
    apiVersion: VELERO_API_VERSION,
    kind: 'Backup',
    metadata: { name, namespace: valid.veleroNamespace, labels, ...(annotations && { annotations }) },
    spec,
  };
}

/**
 * `preflight` is the hooks checked against the namespace's pods; without it (pods not known) nothing is held
 * back for missing hook targets. While `runNowWaitsUntil` is set (the cluster's minimum interval between
 * run-now backups), the pending run-now token waits.
 */
export function desiredVeleroObjects(
  cr: ConsistentBackup,
  config: OperatorConfig,
  preflight?: Preflight,
  runNowWaitsUntil?: number,
): DesiredVeleroObjects {
  const validation = validateConsistentBackup(cr, config);
  if (!validation.ok) return validation;
  const valid = validation.value;
  const missing = missingHookTargets(cr, preflight);
  // A held run-now token stays unprocessed (no Backup carries it), so it runs once the targets are back.
  const held = skipsBackups(missing);
  const names = veleroNames(valid.owner);
  const spec = backupSpec(cr, valid);
  const owner = ownerLabels(valid.owner);
  const backups: DesiredBackup[] = [];
  let schedule: VeleroSchedule | undefined;

  if (valid.schedule) {
    schedule = {
      apiVersion: VELERO_API_VERSION,
      kind: 'Schedule',
      metadata: { name: names.schedule, namespace: valid.veleroNamespace, labels: owner },
      spec: {
        schedule: valid.schedule.veleroExpression,
        // Velero copies template labels to each Backup it makes, so they can be traced back to their owner.
        template: { ...spec, metadata: { labels: { ...owner, [LABEL_TRIGGER]: 'schedule' } } },
        paused: (cr.spec.suspend ?? false) || held,
        // Explicit false: Velero fills in a nil value itself, and a true would be reset by Velero after each
        // skip and re-applied by the operator. Running at once after resume gives a fresh recovery point.
        skipImmediately: false,
        // Owner references would let Kubernetes GC fight Velero's backup sync over retained Backups.
        useOwnerReferencesInBackup: false,
      },
    };
  } else if (!cr.spec.suspend && !cr.status?.backupName && !held) {
    backups.push({
      trigger: 'one-shot',
      backup: backupObject(names.oneShotBackup, valid, spec, { ...owner, [LABEL_TRIGGER]: 'one-shot' }),
    });
  }

  const token = pendingRunToken(cr);
  if (token !== undefined && !held && runNowWaitsUntil === undefined) {
    // Like `velero backup create --from-schedule`: Velero's per-schedule metrics and restores see it.
    const fromSchedule: Record<string, string> = schedule
      ? { [VELERO_SCHEDULE_NAME_LABEL]: names.schedule }
      : {};
    backups.push({
      trigger: 'run-now',
      runToken: token,
      backup: backupObject(
        names.runNowBackup(token),
        valid,
        structuredClone(spec),
        { ...owner, [LABEL_TRIGGER]: 'run-now', ...fromSchedule },
        { [RUN_TOKEN_ANNOTATION]: token },
      ),
    });
  }
  return {
    ok: true,
    veleroNamespace: valid.veleroNamespace,
    ...(schedule && { schedule }),
    backups,
    ...(missing && { missingHookTargets: missing }),
  };
}
