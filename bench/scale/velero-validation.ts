// The one thing the benchmark needs from a Velero server: validating new Schedules (phase Enabled), as
// Velero's schedule controller does, for the ConsistentBackups of one namespace only.
import type { KubeConfig } from '@kubernetes/client-node';
import { Informer, KubeRest, resourcePath } from '../../src/core/index.ts';

export function enableSchedulesOf(
  kubeConfig: KubeConfig,
  ownerNamespace: string,
): { start: () => Promise<void>; stop: () => void } {
  const rest = new KubeRest(kubeConfig);
  const schedules = new Informer<{ metadata?: { name?: string }; status?: { phase?: string } } & object>({
    kubeConfig,
    resource: { apiVersion: 'velero.io/v1', plural: 'schedules', namespace: 'velero' },
    labelSelector: `consistentbackup.io/namespace=${ownerNamespace}`,
  });
  const enable = (s: { metadata?: { name?: string }; status?: { phase?: string } }): void => {
    if (s.status?.phase === 'Enabled') return;
    const path = resourcePath(
      { apiVersion: 'velero.io/v1', plural: 'schedules', namespace: 'velero' },
      s.metadata?.name,
    );
    void rest.request('PATCH', path, {
      body: { status: { phase: 'Enabled' } },
      contentType: 'application/merge-patch+json',
    });
  };
  schedules.addHandler({ add: enable, update: (_old, s) => enable(s) });
  return {
    start: async () => {
      schedules.start();
      await schedules.waitForSync();
    },
    stop: () => schedules.stop(),
  };
}
