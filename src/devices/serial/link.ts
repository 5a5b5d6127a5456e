// The outermost edge: a serial port as the receiver sees it. The default opens a real port
// with the `serialport` package; tests of the receiver use a real pty pair (socat), so this
// seam exists for odd transports (ser2net, a recorded file), not for mocking.
import { SerialPort } from 'serialport';

export interface SerialLink {
  readonly isOpen: boolean;
  open(callback: (err: Error | null) => void): void;
  write(data: string, callback?: (err: Error | null | undefined) => void): unknown;
  close(callback?: (err?: Error | null) => void): void;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'close', listener: (err?: Error | null) => void): unknown;
  removeAllListeners(event?: string): unknown;
}

export type OpenPort = (path: string, baudRate: number) => SerialLink;

/** RFLink and most USB receivers: 8 data bits, no parity, 1 stop bit (57600 N,8,1). */
export const openSerialPort: OpenPort = (path, baudRate) =>
  new SerialPort({ path, baudRate, dataBits: 8, parity: 'none', stopBits: 1, autoOpen: false });
