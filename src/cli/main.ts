// The operator's entry point: `npm start`, the container's ENTRYPOINT and the tests' operator process.
import { createLogger, Manager, shutdownSignal, type LogLevel } from '../core/index.ts';
import { addConsistentBackupController } from '../operator/setup.ts';
import {
  hasKubeconfig,
  loadKubeConfig,
  startLocalPlayground,
  type ClusterConnection,
} from './cluster-connection.ts';
import { OptionsError, parseOptions, usage, type OperatorOptions } from './options.ts';

async function connect(options: OperatorOptions, log: (msg: string) => void): Promise<ClusterConnection> {
  if (options.local || !hasKubeconfig(options.kubeconfig, process.env)) {
    return startLocalPlayground(options.veleroNamespace, log);
  }
  return { kubeConfig: loadKubeConfig(options.kubeconfig), localControlPlane: undefined };
}

async function main(): Promise<number> {
  let options: OperatorOptions;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof OptionsError)) throw err;
    process.stderr.write(`${err.message}\n\n${usage()}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(usage());
    return 0;
  }
  const logger = createLogger({ level: options.logLevel as LogLevel });
  const connection = await connect(options, (msg) => logger.info(msg));
  const manager = new Manager({
    kubeConfig: connection.kubeConfig,
    logger,
    metricsBindAddress: options.metricsAddress,
    healthProbeBindAddress: options.probeAddress,
    ...(options.leaderElect && {
      leaderElection: {
        namespace: options.leaderElectionNamespace,
        leaseName: options.leaderElectionId,
        ...(process.env.POD_NAME && { identity: process.env.POD_NAME }),
      },
    }),
    // Another replica leads now; a fresh process starts again as a clean standby.
    onLeadershipLost: () => {
      logger.error('leadership lost; exiting');
      process.exit(1);
    },
  });
  addConsistentBackupController(manager, {
    config: {
      veleroNamespace: options.veleroNamespace,
      allowedVeleroNamespaces: options.allowedVeleroNamespaces,
      ...(options.watchNamespaces.length > 0 && { watchNamespaces: options.watchNamespaces }),
    },
    concurrency: options.concurrency,
  });
  await manager.start();
  const signal = await Promise.race([shutdownSignal(), manager.done.then(() => undefined)]);
  logger.info('shutting down', { signal });
  await manager.stop();
  await connection.localControlPlane?.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `consistent-backup-operator: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
