// A minimal MQTT 3.1.1 client over a raw socket, for what MQTT.js will not do on request:
// resend a PUBLISH with the DUP flag and the same message id, and time each PUBACK.
import { connect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';

export class RawClient {
  private socket!: Socket;
  private parser = mqttPacket.parser({ protocolVersion: 4 });
  private waiters: Array<{ match: (p: any) => boolean; resolve: (p: any) => void }> = [];
  readonly received: any[] = [];
  closed = false;
  /** resolves when the broker closes the connection */
  closedPromise!: Promise<void>;

  static async open(port: number, username: string, password: string): Promise<{ client: RawClient; connack: any }> {
    const client = new RawClient();
    client.socket = connect(port, '127.0.0.1');
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
    client.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `raw-${username}-${Date.now()}`, keepalive: 30, username, password: Buffer.from(password) });
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

  publish(topic: string, payload: string, messageId: number, dup = false): Promise<any> {
    const ack = this.next((p) => p.cmd === 'puback' && p.messageId === messageId);
    this.send({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, messageId, dup, retain: false });
    return ack;
  }

  close(): void { this.socket.destroy(); }
}
