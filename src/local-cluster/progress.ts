/**
 * A progress line printer for long starts: `[name  12.3s] message` on stderr, so nobody stares at a silent
 * terminal and the time each step took can be read off.
 */
export function stepLogger(name: string, write = (line: string) => process.stderr.write(line)) {
  const started = Date.now();
  return (message: string): void => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
    write(`[${name} ${seconds}s] ${message}\n`);
  };
}
