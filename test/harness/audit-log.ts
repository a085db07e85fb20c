import { readFile } from 'node:fs/promises';

export interface AuditEvent {
  verb: string;
  user: { username: string };
  objectRef?: {
    resource?: string;
    subresource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
  };
  requestReceivedTimestamp: string;
  responseStatus?: { code?: number };
}

const writeVerbs = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** Every audited request, in order (the API server writes one JSON line per request). */
export async function readAuditLog(path: string): Promise<AuditEvent[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as AuditEvent);
}

/** Writes by `username` received at or after `since`, as "verb resource[/subresource] namespace/name". */
export async function writesBy(path: string, username: string, since: Date): Promise<string[]> {
  return (await readAuditLog(path))
    .filter((e) => e.user.username === username && writeVerbs.has(e.verb))
    .filter((e) => new Date(e.requestReceivedTimestamp) >= since)
    .map((e) => {
      const ref = e.objectRef ?? {};
      const resource = ref.subresource ? `${ref.resource}/${ref.subresource}` : ref.resource;
      return `${e.verb} ${resource} ${ref.namespace ?? ''}/${ref.name ?? ''}`;
    });
}
