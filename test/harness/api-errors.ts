import { ApiException } from '@kubernetes/client-node';

/** The HTTP code and the Status message of a failed API call, for asserting on what a user would read. */
export function apiStatus(err: unknown): { code: number; message: string } {
  if (!(err instanceof ApiException)) throw err;
  const body: unknown = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
  const message = (body as { message?: unknown } | undefined)?.message;
  return { code: err.code, message: typeof message === 'string' ? message : String(err.body) };
}
