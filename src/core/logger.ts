import winston from 'winston';

export type Logger = winston.Logger;
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/**
 * One JSON object per line on stdout. Callers log keys, names, reasons and status codes - never request
 * or response bodies, headers or tokens; `errorFields` reduces an error to what is safe to log.
 */
export function createLogger(options: { level?: LogLevel; silent?: boolean } = {}): Logger {
  return winston.createLogger({
    level: options.level ?? 'info',
    silent: options.silent ?? false,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console()],
  });
}

/** A logger that drops everything, for tests and for callers that do not care. */
export function silentLogger(): Logger {
  return createLogger({ silent: true });
}

/**
 * The loggable part of an error: message and, for Kubernetes API errors, status code and reason. Drops
 * anything else an error may carry (client-node's ApiException embeds response headers in its message).
 */
export function errorFields(err: unknown): { error: string; statusCode?: number; reason?: string } {
  if (!(err instanceof Error)) return { error: String(err) };
  const e = err as Error & { statusCode?: unknown; code?: unknown; reason?: unknown; body?: unknown };
  const statusCode =
    typeof e.statusCode === 'number' ? e.statusCode : typeof e.code === 'number' ? e.code : undefined;
  const body =
    typeof e.body === 'object' && e.body !== null ? (e.body as Record<string, unknown>) : undefined;
  const reason =
    typeof e.reason === 'string' ? e.reason : typeof body?.reason === 'string' ? body.reason : undefined;
  const bodyMessage = typeof body?.message === 'string' ? body.message : undefined;
  const message = statusCode !== undefined && bodyMessage ? bodyMessage : firstLine(e.message);
  return {
    error: message,
    ...(statusCode !== undefined ? { statusCode } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}
