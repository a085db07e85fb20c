import { parseArgs } from 'node:util';

/** Where deploy/ installs the operator, and so where its RBAC lets it hold the leader Lease. */
export const OPERATOR_NAMESPACE = 'consistent-backup-system';

export interface OperatorOptions {
  kubeconfig: string | undefined;
  /** Start a local control plane even when a kubeconfig exists. */
  local: boolean;
  veleroNamespace: string;
  /** Velero namespaces a ConsistentBackup may name (always includes veleroNamespace). */
  allowedVeleroNamespaces: string[];
  /** Namespaces whose ConsistentBackups and pods the operator serves; empty: every namespace. */
  watchNamespaces: string[];
  metricsAddress: string;
  probeAddress: string;
  concurrency: number;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  logLevel: string;
  help: boolean;
}

interface FlagSpec {
  env: string;
  help: string;
  type: 'string' | 'boolean';
  default?: string;
}

// One table drives parsing, environment fallbacks and --help, so they cannot drift apart.
const flags = {
  kubeconfig: {
    env: 'KUBECONFIG',
    type: 'string',
    help: 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)',
  },
  local: {
    env: 'CBO_LOCAL',
    type: 'boolean',
    help: 'start the local playground (control plane and a real Velero) instead of using a kubeconfig',
  },
  'velero-namespace': {
    env: 'CBO_VELERO_NAMESPACE',
    type: 'string',
    default: 'velero',
    help: 'namespace of the Velero server',
  },
  'allowed-velero-namespaces': {
    env: 'CBO_ALLOWED_VELERO_NAMESPACES',
    type: 'string',
    default: '',
    help: 'comma-separated extra Velero namespaces a ConsistentBackup may name',
  },
  'watch-namespaces': {
    env: 'CBO_WATCH_NAMESPACES',
    type: 'string',
    default: '',
    help: 'comma-separated namespaces to serve, with pods read per namespace (deploy/namespaced/); empty: all',
  },
  'metrics-bind-address': {
    env: 'CBO_METRICS_BIND_ADDRESS',
    type: 'string',
    default: '127.0.0.1:8080',
    help: 'address of /metrics ("0" disables)',
  },
  'health-probe-bind-address': {
    env: 'CBO_HEALTH_PROBE_BIND_ADDRESS',
    type: 'string',
    default: '127.0.0.1:8081',
    help: 'address of /healthz and /readyz ("0" disables)',
  },
  concurrency: {
    env: 'CBO_CONCURRENCY',
    type: 'string',
    default: '4',
    help: 'ConsistentBackups reconciled at once',
  },
  'leader-elect': {
    env: 'CBO_LEADER_ELECT',
    type: 'boolean',
    help: 'elect a leader through a Lease, for running several replicas',
  },
  'leader-election-namespace': {
    env: 'CBO_LEADER_ELECTION_NAMESPACE',
    type: 'string',
    default: '',
    help: 'namespace of the Lease (default: $POD_NAMESPACE, else consistent-backup-system)',
  },
  'leader-election-id': {
    env: 'CBO_LEADER_ELECTION_ID',
    type: 'string',
    default: 'consistent-backup-operator',
    help: 'name of the Lease',
  },
  'log-level': { env: 'CBO_LOG_LEVEL', type: 'string', default: 'info', help: 'error | warn | info | debug' },
  help: { env: '', type: 'boolean', help: 'print this help' },
} satisfies Record<string, FlagSpec>;

type FlagName = keyof typeof flags;

export class OptionsError extends Error {}

export function usage(): string {
  const lines = Object.entries(flags).map(([name, spec]: [string, FlagSpec]) => {
    const dflt = spec.default ? ` (default ${JSON.stringify(spec.default)})` : '';
    const env = spec.env ? ` [$${spec.env}]` : '';
    return `  --${name.padEnd(28)}${spec.help}${dflt}${env}`;
  });
  return ['Usage: consistent-backup-operator [flags]', '', ...lines, ''].join('\n');
}

/** Flags win over environment variables, which win over defaults. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): OperatorOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.entries(flags).map(([k, v]) => [k, { type: v.type }])),
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new OptionsError((err as Error).message);
  }
  const str = (name: FlagName): string => {
    const spec: FlagSpec = flags[name];
    const v = values[name] ?? (spec.env ? env[spec.env] : undefined) ?? spec.default ?? '';
    return String(v);
  };
  const bool = (name: FlagName): boolean => {
    const spec: FlagSpec = flags[name];
    const v = values[name] ?? (spec.env ? env[spec.env] : undefined);
    return v === true || v === 'true' || v === '1';
  };
  const list = (name: FlagName) =>
    str(name)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);

  const concurrency = Number(str('concurrency'));
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new OptionsError(`--concurrency must be a whole number from 1 to 64, not ${str('concurrency')}`);
  }
  const logLevel = str('log-level');
  if (!['error', 'warn', 'info', 'debug'].includes(logLevel)) {
    throw new OptionsError(`--log-level must be error, warn, info or debug, not ${logLevel}`);
  }
  const veleroNamespace = str('velero-namespace');
  return {
    kubeconfig: str('kubeconfig') || undefined,
    local: bool('local'),
    veleroNamespace,
    allowedVeleroNamespaces: [...new Set([veleroNamespace, ...list('allowed-velero-namespaces')])],
    watchNamespaces: [...new Set(list('watch-namespaces'))],
    metricsAddress: str('metrics-bind-address'),
    probeAddress: str('health-probe-bind-address'),
    concurrency,
    leaderElect: bool('leader-elect'),
    leaderElectionNamespace: str('leader-election-namespace') || env.POD_NAMESPACE || OPERATOR_NAMESPACE,
    leaderElectionId: str('leader-election-id'),
    logLevel,
    help: bool('help'),
  };
}
