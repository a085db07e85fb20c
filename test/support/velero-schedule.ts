// The Backup that Velero's schedule controller creates at a cron tick (Schedule.TimestampedName and
// builder.BackupBuilder.FromSchedule in Velero v1.18).
import {
  LABEL_SCHEDULE_NAME,
  VELERO_GROUP,
  VELERO_VERSION,
  type VeleroBackup,
  type VeleroSchedule,
} from './velero-types.ts';

/** `<schedule>-YYYYMMDDhhmmss`; the Velero pod's clock is UTC. */
export function timestampedName(schedule: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d{3}Z$/, '')
    .replace(/[-T:]/g, '');
  return `${schedule}-${stamp}`;
}

export function scheduledBackup(schedule: VeleroSchedule, at: Date): VeleroBackup {
  const { name, namespace, uid, annotations } = schedule.metadata;
  const template = structuredClone(schedule.spec.template ?? {});
  // Go checks the template's label map for nil: an empty map still wins over the Schedule's own labels.
  const templateLabels = template.metadata?.labels;
  const labels = {
    ...(templateLabels !== undefined && templateLabels !== null ? templateLabels : schedule.metadata.labels),
    [LABEL_SCHEDULE_NAME]: name,
  };
  const ownerReferences = schedule.spec.useOwnerReferencesInBackup
    ? [
        {
          apiVersion: `${VELERO_GROUP}/${VELERO_VERSION}`,
          kind: 'Schedule',
          name,
          uid: uid ?? '',
          controller: true,
        },
      ]
    : undefined;
  return {
    apiVersion: `${VELERO_GROUP}/${VELERO_VERSION}`,
    kind: 'Backup',
    metadata: {
      name: timestampedName(name, at),
      namespace,
      labels,
      ...(annotations ? { annotations: { ...annotations } } : {}),
      ...(ownerReferences ? { ownerReferences } : {}),
    },
    spec: template,
  };
}
