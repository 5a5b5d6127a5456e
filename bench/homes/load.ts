// Homes for the evaluation: raw logs converted in memory, or homes already converted.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadConfig, parseConfig } from '../../src/config/index.ts';
import { readEvents } from '../../src/replay.ts';
import type { Home } from './evaluate.ts';
import { readHomes, replayConfig, replayDevices, replayLines } from './sources.ts';

const warn = (where: string) => (msg: string) => process.stderr.write(`${where}: ${msg}\n`);

function loadConverted(dir: string): Home {
  const config = loadConfig(join(dir, 'config.yaml'));
  return { name: basename(dir), config, events: readEvents(readFileSync(join(dir, 'events.jsonl'), 'utf8'), config, warn(dir)) };
}

const isConverted = (dir: string) => existsSync(join(dir, 'config.yaml')) && existsSync(join(dir, 'events.jsonl'));

/**
 * Every home in `dir`: raw logs in it (see sources.ts), converted homes in its sub-folders, or
 * `dir` itself when it is one converted home. Events are decoded by the replay command's reader.
 */
export function loadHomes(dir: string, entrance: string[] = []): Home[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`--homes ${dir}: not a folder`);
  if (isConverted(dir)) return [loadConverted(dir)];
  const homes: Home[] = readHomes(dir, { entrance }).map((src) => {
    const devices = replayDevices(src);
    const config = parseConfig(replayConfig(src, devices));
    const text = replayLines(src, devices).map((l) => JSON.stringify(l)).join('\n');
    return { name: src.name, config, events: readEvents(text, config, warn(src.name)) };
  });
  for (const sub of readdirSync(dir).sort()) {
    const p = join(dir, sub);
    if (statSync(p).isDirectory() && isConverted(p)) homes.push(loadConverted(p));
  }
  return homes;
}
