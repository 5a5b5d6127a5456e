// What the rest of the gateway sees of a broker: embedded today; a worker on an external
// clustered broker (shared subscriptions) later implements the same interface.
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { Metrics } from '../metrics.ts';
import type { InboundMessage, Outcome, Principal } from '../devices/index.ts';

export interface Authenticator {
  /** the principal for these credentials, or undefined to refuse the connection; never blocks the event loop */
  check(username: string, password: Buffer): Promise<Principal | undefined>;
}

export interface BrokerOptions {
  config: Config['mqtt'];
  auth: Authenticator;
  /** must settle only after the message is committed; a rejection withholds the acknowledgement */
  sink(msg: InboundMessage): Promise<Outcome>;
  metrics: Metrics;
  log: Logger;
}

export interface BrokerAdapter {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** listening ports by listener name (mqtt, mqtts, ws) */
  address(): Record<string, number>;
  connectedClients(): number;
  /** closes every connection (and forgets the sessions) of a device whose secret changed or that was removed */
  closeDevice(deviceId: string): number;
}
