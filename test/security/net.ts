// What an attacker has: a TCP socket. HTTP requests are written byte for byte (the request
// target exactly as given: percent-encodings, `//`, `..` and absolute-form are not tidied up the
// way fastify's inject or a browser would), and MQTT packets are written with mqtt-packet, so a
// CONNECT can carry any client id, clean flag or password and a PUBLISH any DUP flag and id.
import { connect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawRequest {
  method?: string;
  /** the request target, sent as written */
  target: string;
  headers?: Record<string, string>;
  body?: string;
  /** bind the client side to this local address (127.0.0.x) to act as another source */
  localAddress?: string;
}

/** one request on its own connection; resolves with the parsed response once the server closes */
export function rawHttp(port: number, req: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: req.localAddress });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer to ${req.method ?? 'GET'} ${req.target}`)); }, 10_000);
    socket.on('connect', () => {
      const body = req.body ?? '';
      const headers: Record<string, string> = {
        host: `127.0.0.1:${port}`, connection: 'close',
        ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
        ...req.headers,
      };
      const head = `${req.method ?? 'GET'} ${req.target} HTTP/1.1\r\n` + Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
      socket.write(head + body);
    });
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', (err) => { clearTimeout(timer); reject(err); });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      let body = text.slice(split + 4);
      if (headers['transfer-encoding'] === 'chunked') body = unchunk(body);
      resolve({ status: Number(statusLine?.split(' ')[1] ?? 0), headers, body });
    });
  });
}

function unchunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    if (eol < 0) return out;
    const size = parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

export interface ConnectOptions {
  clientId?: string;
  clean?: boolean;
  localAddress?: string;
  keepalive?: number;
}

/** an MQTT 3.1.1 client over a raw socket */
export class MqttRaw {
  private socket!: Socket;
  private parser = mqttPacket.parser({ protocolVersion: 4 });
  private waiters: Array<{ match: (p: any) => boolean; resolve: (p: any) => void }> = [];
  readonly received: any[] = [];
  closed = false;
  closedPromise!: Promise<void>;
  clientId = '';

  static async open(port: number, username: string, password: string, opts: ConnectOptions = {}): Promise<{ client: MqttRaw; connack: any }> {
    const client = new MqttRaw();
    client.clientId = opts.clientId ?? `raw-${username}-${Math.random().toString(36).slice(2)}`;
    client.socket = connect({ port, host: '127.0.0.1', localAddress: opts.localAddress });
    client.socket.on('data', (d) => client.parser.parse(d));
    client.closedPromise = new Promise((r) => client.socket.on('close', () => { client.closed = true; r(); }));
    client.socket.on('error', () => {});
    client.parser.on('packet', (p: any) => {
      client.received.push(p);
      const i = client.waiters.findIndex((w) => w.match(p));
      if (i >= 0) client.waiters.splice(i, 1)[0].resolve(p);
    });
    await new Promise((r) => client.socket.once('connect', r));
    const connack = client.next((p) => p.cmd === 'connack');
    client.send({
      cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: opts.clean ?? true, clientId: client.clientId,
      keepalive: opts.keepalive ?? 30, username, password: Buffer.from(password),
    });
    return { client, connack: await connack };
  }

  send(packet: object): void {
    this.socket.write(mqttPacket.generate(packet as never));
  }

  next(match: (p: any) => boolean, timeoutMs = 5000): Promise<any> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching packet')), timeoutMs);
      this.waiters.push({ match, resolve: (p) => { clearTimeout(timer); resolve(p); } });
    });
  }

  publish(topic: string, payload: string, messageId: number, dup = false, timeoutMs = 5000): Promise<any> {
    const ack = this.next((p) => p.cmd === 'puback' && p.messageId === messageId, timeoutMs);
    this.send({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, messageId, dup, retain: false });
    return ack;
  }

  subscribe(topic: string, messageId: number): Promise<any> {
    const ack = this.next((p) => p.cmd === 'suback' && p.messageId === messageId);
    this.send({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos: 1 }] });
    return ack;
  }

  disconnect(): void {
    this.send({ cmd: 'disconnect' });
    this.socket.end();
  }

  close(): void { this.socket.destroy(); }
}

/**
 * Every route fastify has, as [method, path] pairs, read from its own printRoutes() tree (so
 * the test does not depend on the code under test to list what it protects).
 */
export function routesOf(tree: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const at = line.indexOf('── ');
    if (at < 0) continue;
    const depth = Math.round(at / 4);
    const m = /^(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line.slice(at + 3).trimEnd())!;
    stack.length = depth;
    stack[depth] = m[1];
    const path = stack.join('').replace(/^\/\//, '/');
    for (const method of (m[2] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) out.push([method, path]);
  }
  return out;
}
