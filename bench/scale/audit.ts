// Writes counted from the API server's audit log (one JSON line per request), read incrementally: the log of
// a full run holds a few hundred thousand requests.
import { open } from 'node:fs/promises';

const writeVerbs = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

interface Write {
  at: number;
  what: string;
}

export class AuditWrites {
  private offset = 0;
  private partial = '';
  private readonly writes: Write[] = [];

  constructor(
    private readonly path: string,
    private readonly username: string,
  ) {}

  /** Writes by the user received in [from, to) (epoch ms), by "verb resource[/subresource]". */
  async between(from: number, to: number): Promise<Map<string, number>> {
    await this.readNew();
    const counts = new Map<string, number>();
    for (const w of this.writes) {
      if (w.at >= from && w.at < to) counts.set(w.what, (counts.get(w.what) ?? 0) + 1);
    }
    return counts;
  }

  private async readNew(): Promise<void> {
    const file = await open(this.path, 'r');
    try {
      const { size } = await file.stat();
      const chunk = Buffer.alloc(1 << 20);
      while (this.offset < size) {
        const { bytesRead } = await file.read(chunk, 0, chunk.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        const lines = (this.partial + chunk.toString('utf8', 0, bytesRead)).split('\n');
        this.partial = lines.pop() ?? '';
        for (const line of lines) this.take(line);
      }
    } finally {
      await file.close();
    }
  }

  private take(line: string): void {
    if (!line.includes(this.username)) return;
    const e = JSON.parse(line) as {
      verb: string;
      user: { username: string };
      objectRef?: { resource?: string; subresource?: string };
      requestReceivedTimestamp: string;
    };
    if (e.user.username !== this.username || !writeVerbs.has(e.verb)) return;
    const ref = e.objectRef ?? {};
    const resource = ref.subresource ? `${ref.resource}/${ref.subresource}` : ref.resource;
    this.writes.push({ at: Date.parse(e.requestReceivedTimestamp), what: `${e.verb} ${resource}` });
  }
}

export const total = (counts: Map<string, number>): number => [...counts.values()].reduce((a, b) => a + b, 0);
