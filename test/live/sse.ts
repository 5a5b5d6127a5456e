// A small Server-Sent Events reader over fetch (Node's EventSource cannot send headers): frames
// as the spec parses them (id, event, data lines), kept in order for assertions.
export interface SseEvent { id?: string; event: string; data: any; at: number }

export interface SseReader {
  events: SseEvent[];
  status: number;
  /** resolves when the server ends the stream */
  ended: Promise<void>;
  /** resolves with the first event (after those already seen, from index `from`) that matches */
  next(match: (e: SseEvent) => boolean, timeoutMs?: number, from?: number): Promise<SseEvent>;
  close(): void;
}

export async function openStream(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const events: SseEvent[] = [];
  const waiters: Array<() => void> = [];
  let ended: Promise<void> = Promise.resolve();
  if (res.ok && res.body) {
    ended = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const e: Partial<SseEvent> & { lines: string[] } = { event: 'message', lines: [] };
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) continue;
              const [field, ...rest] = line.split(':');
              const value = rest.join(':').replace(/^ /, '');
              if (field === 'id') e.id = value;
              else if (field === 'event') e.event = value;
              else if (field === 'data') e.lines.push(value);
            }
            if (!e.lines.length) continue;
            const text = e.lines.join('\n');
            let data: unknown = text;
            try { data = JSON.parse(text); } catch { /* plain text */ }
            events.push({ id: e.id, event: e.event!, data, at: Date.now() });
            for (const w of waiters.splice(0)) w();
          }
        }
      } catch { /* aborted */ }
    })();
  }
  return {
    events,
    status: res.status,
    ended,
    async next(match, timeoutMs = 5000, from = 0) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.slice(from).find(match);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; saw ${events.map((x) => x.event).join(', ')}`);
        await new Promise<void>((resolve) => { const t = setTimeout(resolve, left); waiters.push(() => { clearTimeout(t); resolve(); }); });
      }
    },
    close() { controller.abort(); },
  };
}
