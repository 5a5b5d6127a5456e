// Reads the serial fixture files: real receiver output, '#' lines are provenance notes.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('../fixtures/serial/', import.meta.url));

/** The data lines of a fixture file (comments and blank lines left out, trailing spaces kept). */
export function fixtureLines(name: string): string[] {
  return readFileSync(DIR + name, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));
}

/** Lines grouped under `# expect: <reason>` headers. */
export function fixtureGroups(name: string): Array<{ expect: string; line: string }> {
  const out: Array<{ expect: string; line: string }> = [];
  let expect = '';
  for (const line of readFileSync(DIR + name, 'utf8').split('\n')) {
    const header = /^# expect: (\S+)/.exec(line);
    if (header) expect = header[1];
    else if (line.trim() !== '' && !line.startsWith('#')) out.push({ expect, line });
  }
  return out;
}

/** The one fixture line containing `needle`, so tables name lines by what they are. */
export function lineWith(name: string, needle: string): string {
  const hits = fixtureLines(name).filter((l) => l.includes(needle));
  if (hits.length !== 1) throw new Error(`${hits.length} lines in ${name} contain ${needle}`);
  return hits[0];
}
