import { createServer } from 'node:net';
import { parseBindAddress } from '../core/index.ts';
import { OptionsError } from './options.ts';

/**
 * Fails with a one-line OptionsError naming the flag when a bind address is taken, before anything slow (the
 * local playground) starts. Metrics and probes may share one address.
 */
export async function checkBindAddresses(addresses: Record<string, string>): Promise<void> {
  const seen = new Set<string>();
  for (const [flag, address] of Object.entries(addresses)) {
    const at = parseBindAddress(address);
    if (!at || seen.has(`${at.host}:${at.port}`)) continue;
    seen.add(`${at.host}:${at.port}`);
    const problem = await new Promise<string | undefined>((resolve) => {
      const server = createServer();
      server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      server.listen(at.port, at.host, () => server.close(() => resolve(undefined)));
    });
    if (problem) throw bindError(flag, address, problem);
  }
}

/** The one-line message for an address that cannot be bound. */
export function bindError(flag: string, address: string, code: string): OptionsError {
  const why = code === 'EADDRINUSE' ? 'is already in use' : `cannot be bound (${code})`;
  return new OptionsError(`${address} ${why}: choose another with --${flag}, or 0 to turn it off`);
}
