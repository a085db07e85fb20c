import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { errorFields, silentLogger, type Logger } from './logger.ts';

export interface CheckResult {
  ok: boolean;
  /** Why not, for the response body. */
  reason?: string;
}

export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port; see `port` after `start`. */
  port: number;
  /** Serves /healthz and /readyz when given. */
  probes?: { healthz: () => CheckResult; readyz: () => CheckResult };
  /** Serves /metrics when given. */
  metrics?: Registry;
  logger?: Logger;
}

/** Probe and metrics endpoints. Reads only; nothing it serves depends on request content. */
export class HttpServer {
  private readonly server: http.Server;
  private readonly options: HttpServerOptions;
  private readonly log: Logger;

  constructor(options: HttpServerOptions) {
    this.options = options;
    this.log = options.logger ?? silentLogger();
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.log.error('http handler failed', { path: req.url, ...errorFields(err) });
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const endpoints = [
      ...(this.options.probes ? ['/healthz', '/readyz'] : []),
      ...(this.options.metrics ? ['/metrics'] : []),
    ];
    this.log.info('http server listening', { address: `${this.options.host}:${this.port}`, endpoints });
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? this.options.port;
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n');
    const { probes, metrics } = this.options;
    if (probes && (path === '/healthz' || path === '/readyz')) {
      const result = path === '/healthz' ? probes.healthz() : probes.readyz();
      return send(res, result.ok ? 200 : 503, result.ok ? 'ok\n' : `${result.reason ?? 'not ok'}\n`);
    }
    if (metrics && path === '/metrics') {
      const body = await metrics.metrics();
      res.writeHead(200, { 'Content-Type': metrics.contentType });
      res.end(body);
      return;
    }
    send(res, 404, 'not found\n');
  }
}

function send(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(body);
}

/**
 * Parses a bind address like controller-runtime's flags: `:8080`, `127.0.0.1:8080`, `[::1]:8080`; `0` turns
 * the endpoint off (undefined).
 */
export function parseBindAddress(address: string): { host: string; port: number } | undefined {
  if (address === '0') return undefined;
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address);
  if (!match) throw new Error(`invalid bind address "${address}": expected host:port, :port or 0`);
  const port = Number(match[3]);
  if (port > 65535) throw new Error(`invalid bind address "${address}": port out of range`);
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}
