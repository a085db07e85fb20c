// Imported for its effect. A test interrupted by a signal must still stop the servers it started and remove
// their temp dirs: exiting runs the exit hooks of src/local-cluster/child-process.ts, while a signal's
// default action would skip them.
import { constants } from 'node:os';

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => process.exit(128 + constants.signals[signal]));
}
