// Runs the gateway as its own process (npm start's entry point), for crash and signal tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface GatewayProcess {
  child: ChildProcess;
  mqttPort: number;
  httpPort: number;
  output: () => string;
  exited: Promise<number | null>;
}

export function writeConfig(dir: string, config: Record<string, unknown>): string {
  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

export async function spawnGateway(configFile: string, env: NodeJS.ProcessEnv = {}): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--config', configFile], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<{ mqtt: number; http: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        if (!line.includes('"gateway ready"')) continue;
        const parsed = JSON.parse(line);
        clearTimeout(timer);
        resolve({ mqtt: parsed.mqtt.mqtt, http: parsed.http });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`gateway exited with ${code}:\n${out}`)); });
  });
  const ports = await ready;
  return { child, mqttPort: ports.mqtt, httpPort: ports.http, output: () => out, exited };
}
