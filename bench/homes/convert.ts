// npm run convert-homes -- --in DIR --out DIR [--entrance "sensor name"]...
// Converts every home log in DIR (see sources.ts for the formats) into OUT/<home>/config.yaml
// and OUT/<home>/events.jsonl, ready for `npm run replay` and `npm run evaluate`. Keep OUT
// outside the repository: the logs' licences are not stated, so nothing derived from them
// row by row is committed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { readHomes, replayConfig, replayDevices, replayLines, residentId } from './sources.ts';

function args(name: string): string[] {
  const out: string[] = [];
  process.argv.forEach((a, i) => { if (a === name && process.argv[i + 1] !== undefined) out.push(process.argv[i + 1]); });
  return out;
}
const [input] = args('--in');
const [output] = args('--out');
if (!input || !output) {
  process.stderr.write('usage: npm run convert-homes -- --in DIR --out DIR [--entrance "sensor name"]...\n');
  process.exit(2);
}
const homes = readHomes(input, { entrance: args('--entrance') });
if (!homes.length) {
  process.stderr.write(`${input}: no home logs found (houseX.sensors or <Name>_Sensors.txt)\n`);
  process.exit(2);
}
for (const home of homes) {
  const devices = replayDevices(home);
  const lines = replayLines(home, devices);
  const dir = join(output, residentId(home));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.yaml'), stringify(replayConfig(home, devices)));
  writeFileSync(join(dir, 'events.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const rooms = [...devices.values()].map((d) => `${d.name}: ${d.kind}${d.entrance ? ' (entrance)' : ''}, ${d.room}`);
  console.log(`${home.name}: ${devices.size} devices, ${lines.length} events -> ${dir}\n  ${rooms.join('\n  ')}`);
}
