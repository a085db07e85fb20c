import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { realClock, type Clock } from './clock.ts';
import { Controller, type ControllerOptions } from './controller.ts';
import { EventRecorder } from './event-recorder.ts';
import { HttpServer, parseBindAddress, type CheckResult } from './http-server.ts';
import { Informer, type InformerOptions } from './informer.ts';
import { LeaderElector, kubeLeaseStore } from './leader-election.ts';
import { errorFields, silentLogger, type Logger } from './logger.ts';
import { Metrics } from './metrics.ts';
import type { KubeObject } from './object-key.ts';

export interface LeaderElectionConfig {
  namespace: string;
  leaseName: string;
  /** Unique per replica; default `<hostname>_<uuid>`. */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ManagerOptions {
  kubeConfig: KubeConfig;
  logger?: Logger;
  /** `host:port`, `:port` or `0` (off). Default `:8080`. */
  metricsBindAddress?: string;
  /** `host:port`, `:port` or `0` (off); may equal the metrics address. Default `:8081`. */
  healthProbeBindAddress?: string;
  /** Without it this replica leads at once (a single replica, or tests). */
  leaderElection?: LeaderElectionConfig;
  /**
   * Called when leadership is lost, after the controllers were told to stop. Production should exit the
   * process so Kubernetes restarts it; the default stops the manager.
   */
  onLeadershipLost?: () => void;
  metrics?: Metrics;
  clock?: Clock;
}

/**
 * Runs informers, HTTP endpoints and leader election in every replica, and the controllers only in the
 * leader. `stop` is the graceful shutdown: stop taking work, finish reconciles in flight, release the lease,
 * stop informers, close HTTP.
 */
export class Manager {
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly kubeConfig: KubeConfig;
  /** This replica's identity, for the lease and as Events' reportingInstance. */
  readonly identity: string;
  /** Resolves when the manager has stopped, whatever the cause. */
  readonly done: Promise<void>;

  private readonly options: ManagerOptions;
  private readonly clock: Clock;
  private readonly informers: Informer<KubeObject>[] = [];
  private readonly controllers: Controller[] = [];
  private readonly recorders: EventRecorder[] = [];
  private metricsServer: HttpServer | undefined;
  private probeServer: HttpServer | undefined;
  private readonly elector: LeaderElector | undefined;
  private state: 'new' | 'running' | 'stopping' = 'new';
  private leading = false;
  private stopping: Promise<void> | undefined;
  private resolveDone!: () => void;

  constructor(options: ManagerOptions) {
    this.options = options;
    this.kubeConfig = options.kubeConfig;
    this.logger = options.logger ?? silentLogger();
    this.clock = options.clock ?? realClock;
    this.metrics = options.metrics ?? new Metrics({ processMetrics: true });
    this.identity = options.leaderElection?.identity ?? `${hostname()}_${randomUUID()}`;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    const election = options.leaderElection;
    if (election) {
      this.elector = new LeaderElector({
        identity: this.identity,
        lease: kubeLeaseStore(options.kubeConfig, election.namespace, election.leaseName),
        leaseDurationMs: election.leaseDurationMs,
        renewDeadlineMs: election.renewDeadlineMs,
        retryPeriodMs: election.retryPeriodMs,
        onStartedLeading: () => this.lead(),
        onStoppedLeading: () => this.loseLeadership(),
        logger: this.logger,
        clock: this.clock,
      });
      this.metrics.leader(election.leaseName, false);
    }
    this.createServers();
  }

  /** An informer the manager starts (now, if already running) and stops. Share one per resource and scope. */
  informer<T extends KubeObject = KubeObject>(
    options: Omit<InformerOptions<T>, 'kubeConfig' | 'logger' | 'clock'>,
  ): Informer<T> {
    const informer = new Informer<T>({
      ...options,
      kubeConfig: this.kubeConfig,
      logger: this.logger,
      clock: this.clock,
    });
    this.informers.push(informer);
    if (this.state === 'running') informer.start();
    return informer;
  }

  /** A controller the manager starts while this replica leads. Add its watches before `start`. */
  controller(options: Omit<ControllerOptions, 'logger' | 'metrics' | 'clock'>): Controller {
    if (this.state !== 'new') throw new Error('controllers must be added before the manager starts');
    const controller = new Controller({
      ...options,
      logger: this.logger,
      metrics: this.metrics,
      clock: this.clock,
    });
    this.controllers.push(controller);
    return controller;
  }

  /** Events from `reportingController`, written by this replica. */
  eventRecorder(reportingController: string): EventRecorder {
    const recorder = new EventRecorder({
      kubeConfig: this.kubeConfig,
      reportingController,
      reportingInstance: this.identity,
      logger: this.logger,
      clock: this.clock,
    });
    this.recorders.push(recorder);
    return recorder;
  }

  /** Starts HTTP, informers and leader election; resolves once they run (not when leading). */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('manager cannot start twice');
    this.state = 'running';
    this.logger.info('manager starting', { identity: this.identity, leaderElection: Boolean(this.elector) });
    await Promise.all(this.servers().map((s) => s.start()));
    for (const informer of this.informers) informer.start();
    if (this.elector) this.elector.start();
    else this.lead();
  }

  /** Graceful shutdown; safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Ready once every non-optional informer has synced, leader or not. */
  readiness(): CheckResult {
    if (this.state !== 'running')
      return { ok: false, reason: `manager is ${this.state === 'new' ? 'not started' : 'stopping'}` };
    const pending = this.informers.filter((i) => !i.optional && !i.hasSynced()).map((i) => i.name);
    return pending.length
      ? { ok: false, reason: `informers not synced: ${pending.join(', ')}` }
      : { ok: true };
  }

  /** Ports the endpoints listen on once started (for tests binding port 0); undefined when turned off. */
  ports(): { metrics?: number; probes?: number } {
    return { metrics: this.metricsServer?.port, probes: this.probeServer?.port };
  }

  private createServers(): void {
    const metricsAt = parseBindAddress(this.options.metricsBindAddress ?? ':8080');
    const probesAt = parseBindAddress(this.options.healthProbeBindAddress ?? ':8081');
    const probes = { healthz: (): CheckResult => ({ ok: true }), readyz: () => this.readiness() };
    const registry = this.metrics.registry;
    const logger = this.logger;
    if (metricsAt && probesAt && metricsAt.host === probesAt.host && metricsAt.port === probesAt.port) {
      this.metricsServer = this.probeServer = new HttpServer({
        ...metricsAt,
        probes,
        metrics: registry,
        logger,
      });
    } else {
      if (metricsAt) this.metricsServer = new HttpServer({ ...metricsAt, metrics: registry, logger });
      if (probesAt) this.probeServer = new HttpServer({ ...probesAt, probes, logger });
    }
  }

  private servers(): HttpServer[] {
    return [...new Set([this.metricsServer, this.probeServer])].filter((s) => s !== undefined);
  }

  private lead(): void {
    if (this.state !== 'running') return;
    this.leading = true;
    if (this.options.leaderElection) this.metrics.leader(this.options.leaderElection.leaseName, true);
    this.logger.info('leading: starting controllers', { controllers: this.controllers.map((c) => c.name) });
    for (const controller of this.controllers) {
      controller.start().catch((err: unknown) => {
        this.logger.error('controller failed to start', { controller: controller.name, ...errorFields(err) });
      });
    }
  }

  private loseLeadership(): void {
    this.leading = false;
    if (this.options.leaderElection) this.metrics.leader(this.options.leaderElection.leaseName, false);
    for (const controller of this.controllers) void controller.stop();
    if (this.options.onLeadershipLost) this.options.onLeadershipLost();
    else void this.stop();
  }

  private async shutdown(): Promise<void> {
    this.state = 'stopping';
    this.logger.info('manager stopping');
    await Promise.all(this.controllers.map((c) => c.stop()));
    await Promise.all(this.recorders.map((r) => r.flush()));
    if (this.elector) await this.elector.stop();
    if (this.leading && this.options.leaderElection)
      this.metrics.leader(this.options.leaderElection.leaseName, false);
    this.leading = false;
    for (const informer of this.informers) informer.stop();
    await Promise.all(this.servers().map((s) => s.stop()));
    this.logger.info('manager stopped');
    this.resolveDone();
  }
}

/** Resolves with the first of `signals` the process receives; a second one gets Node's default handling. */
export function shutdownSignal(signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals): void => {
      for (const s of signals) process.off(s, handler);
      resolve(signal);
    };
    for (const s of signals) process.on(s, handler);
  });
}
