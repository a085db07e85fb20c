// The tools the platform tests run (scripts/build-platform-tools.sh builds and caches them), and the Argo CD
// customization scripts run through the Lua checker the way Argo CD runs them.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runCacheScript } from '../../src/local-cluster/binaries.ts';

const run = promisify(execFile);

export interface PlatformTools {
  helm: string;
  argocdLua: string;
  promtool: string;
  monitoringCrds: string;
}

let tools: Promise<PlatformTools> | undefined;

export function ensurePlatformTools(): Promise<PlatformTools> {
  tools ??= runCacheScript('build-platform-tools.sh', [
    'HELM',
    'ARGOCD_LUA',
    'PROMTOOL',
    'MONITORING_CRDS',
  ]).then((p) => ({
    helm: p.HELM,
    argocdLua: p.ARGOCD_LUA,
    promtool: p.PROMTOOL,
    monitoringCrds: p.MONITORING_CRDS,
  }));
  return tools;
}

export const argocdScripts = fileURLToPath(
  new URL('../../integrations/argocd/consistentbackup.io/ConsistentBackup/', import.meta.url),
);

export interface HealthStatus {
  status: string;
  message: string;
}

/** Runs one of the customization scripts (path relative to argocdScripts) on an object. */
export async function runArgocdScript<T>(script: string, object: unknown): Promise<T> {
  const { argocdLua } = await ensurePlatformTools();
  const dir = await mkdtemp(join(tmpdir(), 'cbo-argocd-'));
  try {
    const objectPath = join(dir, 'object.json');
    await writeFile(objectPath, JSON.stringify(object));
    const { stdout } = await run(argocdLua, [join(argocdScripts, script), objectPath]);
    return JSON.parse(stdout) as T;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const argocdHealth = (object: unknown) => runArgocdScript<HealthStatus>('health.lua', object);
