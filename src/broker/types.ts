// What the rest of the gateway sees of a broker: embedded today; a worker on an external
// clustered broker (shared subscriptions) later implements the same interface.
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { Metrics } from '../metrics.ts';
import type { Accepted, InboundMessage, Principal } from '../devices/index.ts';

export interface Authenticator {
  /** the principal for these credentials, or undefined to refuse the connection; never blocks the event loop */
  check(username: string, password: Buffer): Promise<Principal | undefined>;
}

export interface BrokerOptions {
  config: Config['mqtt'];
  auth: Authenticator;
  /**
   * Takes a message and calls `done` only after it is committed (or, at once, dropped or ignored);
   * `done(err)` withholds the acknowledgement. Callback-style: a message costs no promise turn
   * between the broker's hook and its PUBACK.
   */
  sink(msg: InboundMessage, done: Accepted): void;
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
