/**
 * A test's view of GET /watch: opens the stream with node:http (so a test can also stop reading
 * it, as a slow client would) and collects its events as they arrive.
 */
import http from 'node:http';

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
  id: string | null;
}

export interface SseStream {
  status: number;
  /** The JSON body of an answer that was not a stream (a 4xx). */
  body: Record<string, unknown> | null;
  events: SseEvent[];
  ended: Promise<void>;
  pause(): void;
  resume(): void;
  close(): void;
}

export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      const events: SseEvent[] = [];
      let buffer = '';
      let text = '';
      const isStream = (res.headers['content-type'] ?? '').startsWith('text/event-stream');
      const ended = new Promise<void>((done) => {
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (!isStream) {
          text += chunk;
          return;
        }
        buffer += chunk;
        let blank: number;
        while ((blank = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, blank);
          buffer = buffer.slice(blank + 2);
          const event: SseEvent = { event: 'message', data: {}, id: null };
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const [field, ...rest] = line.split(': ');
            if (field === 'event') event.event = rest.join(': ');
            else if (field === 'id') event.id = rest.join(': ');
            else if (field === 'data') data += rest.join(': ');
          }
          if (data !== '') {
            event.data = JSON.parse(data) as Record<string, unknown>;
            events.push(event);
          }
        }
      });
      const stream: SseStream = {
        status: res.statusCode ?? 0,
        body: null,
        events,
        ended,
        pause: () => res.pause(),
        resume: () => res.resume(),
        close: () => req.destroy(),
      };
      if (isStream) return resolve(stream);
      res.on('end', () => {
        stream.body = JSON.parse(text) as Record<string, unknown>;
        resolve(stream);
      });
    });
    req.on('error', reject);
  });
}

/** The change events of a stream, as [index, op, key, value]. */
export const changesOf = (stream: SseStream): [number, string, string, string | undefined][] =>
  stream.events.filter((e) => e.event === 'message').map((e) => [e.data.index as number, e.data.op as string, e.data.key as string, e.data.value as string | undefined]);
