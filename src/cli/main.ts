// The operator's entry point: `npm start`, the container's ENTRYPOINT and the tests' operator process.
import { constants } from 'node:os';
import { createLogger, Manager, shutdownSignal, type LogLevel } from '../core/index.ts';
import { addConsistentBackupController } from '../operator/setup.ts';
import { addRestoreController } from '../operator/restore-setup.ts';
import { bindError, checkBindAddresses } from './bind-addresses.ts';
import { hasKubeconfig, loadKubeConfig, type ClusterConnection } from './cluster-connection.ts';
import { OptionsError, parseOptions, usage, type OperatorOptions } from './options.ts';
import { startPlayground } from './playground.ts';

async function connect(options: OperatorOptions): Promise<ClusterConnection> {
  if (options.local || !hasKubeconfig(options.kubeconfig, process.env)) {
    const playground = await startPlayground(options.veleroNamespace);
    return { kubeConfig: playground.kubeConfig, playground };
  }
  return { kubeConfig: loadKubeConfig(options.kubeconfig), playground: undefined };
}

/**
 * Until the orderly shutdown below is listening (and again once it has begun), a signal exits at once: exiting
 * runs the exit hooks that kill every local process and remove the playground's temp dir, which the default
 * action of SIGINT would skip.
 */
function exitOnSignal(ignoreForMs = 0): () => void {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  // npm forwards the Ctrl-C that the terminal also sends us: that echo must not cut the shutdown short.
  const from = Date.now() + ignoreForMs;
  const exit = (signal: NodeJS.Signals) => {
    if (Date.now() >= from) process.exit(128 + constants.signals[signal]);
  };
  for (const signal of signals) process.on(signal, exit);
  return () => {
    for (const signal of signals) process.off(signal, exit);
  };
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
  const bindAddresses = {
    'metrics-bind-address': options.metricsAddress,
    'health-probe-bind-address': options.probeAddress,
  };
  await checkBindAddresses(bindAddresses);
  const stopExitingOnSignal = exitOnSignal();
  const connection = await connect(options);
  stopExitingOnSignal();
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
  const controllers = {
    config: {
      veleroNamespace: options.veleroNamespace,
      allowedVeleroNamespaces: options.allowedVeleroNamespaces,
      ...(options.watchNamespaces.length > 0 && { watchNamespaces: options.watchNamespaces }),
    },
    concurrency: options.concurrency,
  };
  addRestoreController(manager, controllers, addConsistentBackupController(manager, controllers));
  const signalled = shutdownSignal();
  try {
    await manager.start();
  } catch (err) {
    await connection.playground?.stop();
    const code = (err as NodeJS.ErrnoException).code;
    // Taken between the check above and now: name both flags, the error does not say which server failed.
    if (code === 'EADDRINUSE' || code === 'EACCES')
      throw bindError(
        Object.keys(bindAddresses).join(' or --'),
        Object.values(bindAddresses).join(' or '),
        code,
      );
    throw err;
  }
  const signal = await Promise.race([signalled, manager.done.then(() => undefined)]);
  exitOnSignal(2_000);
  logger.info('shutting down', { signal });
  await manager.stop();
  await connection.playground?.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof OptionsError) {
      process.stderr.write(`consistent-backup-operator: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `consistent-backup-operator: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
