/**
 * Preset scripts print machine-readable lines `cbo.<event> key=value ...` (ready, binlog, checkpoint,
 * saved, released, expired, error) among their output, which Velero copies into the backup log.
 */
export interface HookMarker {
  event: string;
  fields: Record<string, string>;
}

const MARKER_LINE = /^cbo\.([a-z][a-z-]*)((?: [A-Za-z][A-Za-z0-9]*=\S*)*)\s*$/;

export function parseHookMarkers(output: string): HookMarker[] {
  const markers: HookMarker[] = [];
  for (const line of output.split('\n')) {
    const match = MARKER_LINE.exec(line);
    if (!match) continue;
    const fields: Record<string, string> = {};
    for (const pair of (match[2] ?? '').trim().split(' ').filter(Boolean)) {
      const at = pair.indexOf('=');
      fields[pair.slice(0, at)] = pair.slice(at + 1);
    }
    markers.push({ event: match[1] ?? '', fields });
  }
  return markers;
}
