// A real pty pair for serial tests: socat links A (the receiver's side) to B (the radio's side).
// Killing socat is unplugging the receiver; starting it again at the same paths is plugging
// it back in.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SerialPort } from 'serialport';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Installs socat when it can (scripts/ensure-socat.sh); otherwise fails with its one-line instruction. */
export function ensureSocat(): void {
  try {
    execFileSync('bash', [join(ROOT, 'scripts/ensure-socat.sh')], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim();
    throw new Error(stderr || 'socat is required for the serial tests: apt-get install socat');
  }
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class PtyPair {
  readonly dir = mkdtempSync(join(tmpdir(), 'serial-pty-'));
  readonly a = join(this.dir, 'A');
  readonly b = join(this.dir, 'B');
  private socat?: ChildProcess;

  async plug(): Promise<void> {
    // a socat killed hard leaves its links behind; a new one must not trip over them
    rmSync(this.a, { force: true });
    rmSync(this.b, { force: true });
    const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${this.a}`, `pty,raw,echo=0,link=${this.b}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += String(d)));
    this.socat = child;
    await waitFor(`socat links (${stderr})`, () => (existsSync(this.a) && existsSync(this.b)) || child.exitCode !== null, 5000);
    if (child.exitCode !== null) throw new Error(`socat exited: ${stderr}`);
  }

  /** Unplug: SIGTERM lets socat remove its links, as a USB receiver's device node disappears. */
  async unplug(): Promise<void> {
    const child = this.socat;
    this.socat = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(3000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }

  async dispose(): Promise<void> {
    await this.unplug();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The radio side: a serial port on B that collects the lines the gateway writes. */
export class RadioSide {
  readonly received: string[] = [];
  private buffer = '';
  private constructor(readonly port: SerialPort) {
    port.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('latin1');
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).replace(/\r$/, '');
        this.buffer = this.buffer.slice(nl + 1);
        this.received.push(line);
        this.onLine?.(line);
      }
    });
    port.on('error', () => {}); // unplugging closes this side too
  }
  onLine?: (line: string) => void;

  static async open(path: string): Promise<RadioSide> {
    const port = new SerialPort({ path, baudRate: 57600, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((err) => (err ? rej(err) : res())));
    return new RadioSide(port);
  }

  /** Answer every `10;PING;` like an RFLink does, while `answering` is true. */
  answerPings(): { stop(): void; resume(): void } {
    let answering = true;
    let counter = 0;
    this.onLine = (line) => {
      if (answering && line === '10;PING;') this.send(`20;${(counter++ & 0xff).toString(16).padStart(2, '0').toUpperCase()};PONG;`);
    };
    return { stop: () => (answering = false), resume: () => (answering = true) };
  }

  send(line: string | Buffer): void {
    if (!this.port.isOpen) return;
    this.port.write(typeof line === 'string' ? `${line}\r\n` : line);
  }

  async close(): Promise<void> {
    if (!this.port.isOpen) return;
    await new Promise<void>((r) => this.port.close(() => r()));
  }
}
