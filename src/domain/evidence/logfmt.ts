// Velero writes its backup log with logrus' text formatter: `key=value` pairs, values quoted (Go %q) when they
// hold spaces, quotes or control characters.

const UNESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };

/** The fields of one log line; a malformed tail is dropped, never guessed at. */
export function parseLogfmt(line: string): Record<string, string> {
  const fields: Record<string, string> = {};
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ') i++;
    const eq = line.indexOf('=', i);
    if (eq < 0) break;
    const key = line.slice(i, eq);
    if (key === '' || key.includes(' ')) break;
    i = eq + 1;
    let value = '';
    if (line[i] === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length) {
          const next = line[i + 1] ?? '';
          value += UNESCAPES[next] ?? `\\${next}`;
          i += 2;
        } else {
          value += line[i];
          i++;
        }
      }
      i++;
    } else {
      const end = line.indexOf(' ', i);
      value = line.slice(i, end < 0 ? line.length : end);
      i = end < 0 ? line.length : end;
    }
    fields[key] = value;
  }
  return fields;
}
