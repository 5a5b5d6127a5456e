// npm run evaluate -- --homes DIR [--homes DIR2] [--modes learned,fixed4h] [--seeds 1-3]
//                     [--cuts-per-day 3] [--verify 3] [--json FILE] [--detail] [--brief]
//                     [--sweep alpha=0.1,0.25,0.5]   (learned mode at each value: the trade-off curve)
//
// Inactivity on real homes: false alerts per resident-month on the untouched logs, and the
// delay to find a daytime collapse, per home and phase (days 1-7, 8-14, after 14), for each
// mode. The method is in bench/homes/evaluate.ts. A DIR holds raw logs (houseX.sensors with
// houseX.sensor_names, or Ordonez <Name>_Sensors.txt), converted homes (folders with
// config.yaml and events.jsonl from `npm run convert-homes`), or is one converted home itself.
// Keep DIR outside the repository: the logs' licences are not stated.
import { writeFileSync } from 'node:fs';
import {
  HOUR, MODES, PHASES, alertContext, chooseCuts, evaluateHome, summarise, verifyCut, type Home, type HomeResult, type Mode, type Summary,
} from './homes/evaluate.ts';
import { loadHomes } from './homes/load.ts';

function args(name: string): string[] {
  const out: string[] = [];
  process.argv.forEach((a, i) => { if (a === name && process.argv[i + 1] !== undefined) out.push(process.argv[i + 1]); });
  return out;
}
function arg(name: string, fallback: string): string { return args(name)[0] ?? fallback; }

function fail(message: string): never {
  process.stderr.write(message + '\n');
  process.exit(2);
}

const dirs = args('--homes');
if (!dirs.length) fail('usage: npm run evaluate -- --homes DIR [--homes DIR]... [--modes learned,fixed4h] [--seeds 1-3] [--cuts-per-day 3] [--verify N] [--json FILE] [--detail] [--brief] [--sweep alpha=0.1,0.25]');
let homes: Home[];
try {
  homes = dirs.flatMap((d) => loadHomes(d, args('--entrance'))).filter((h) => h.events.length > 0);
} catch (err) {
  fail((err as Error).message);
}
if (!homes.length) fail(`no homes found in ${dirs.join(', ')}`);
const modes: Mode[] = arg('--modes', 'learned,fixed4h').split(',').map((m) => MODES[m] ?? fail(`--modes: unknown mode ${m} (${Object.keys(MODES).join(', ')})`));
// --sweep alpha=0.1,0.25,0.5: learned mode at each value, as a trade-off curve
const sweep = args('--sweep')[0];
if (sweep) {
  const [key, values] = sweep.split('=');
  modes.splice(0, modes.length, ...values.split(',').map((v): Mode => ({ name: `learned ${key}=${v}`, inactivity: { mode: 'learned' }, tuning: { [key]: Number(v) } })));
}
const brief = process.argv.includes('--brief');
// --seed 1, or --seeds 1-5 / 1,2,3: each seed's cuts, together (distinct cut moments)
const seedText = arg('--seeds', arg('--seed', '1'));
const seeds = seedText.includes('-') ? (() => { const [a, b] = seedText.split('-').map(Number); return Array.from({ length: b - a + 1 }, (_, i) => a + i); })() : seedText.split(',').map(Number);
if (seeds.some((x) => !Number.isInteger(x))) fail(`--seeds: expected whole numbers like 1-5 or 1,2,3, got ${seedText}`);
const perDay = Number(arg('--cuts-per-day', '3'));
const verify = Number(arg('--verify', '0'));
const detail = process.argv.includes('--detail');

const h = (ms: number | null) => (ms === null ? '-' : `${(ms / HOUR).toFixed(2)} h`);
const started = Date.now();
const all: HomeResult[] = [];
for (const mode of modes) {
  const results: HomeResult[] = [];
  for (const home of homes) {
    const byIndex = new Map(seeds.flatMap((sd) => chooseCuts(home, sd, perDay)).map((c) => [c.index, c]));
    const cuts = [...byIndex.values()].sort((a, b) => a.index - b.index);
    const r = evaluateHome(home, mode, cuts);
    results.push(r);
    for (const c of cuts.slice(0, verify)) {
      const viaReplay = verifyCut(home, mode, c);
      const mine = r.cuts.find((x) => x.index === c.index)!.delayMs;
      if (viaReplay !== mine) fail(`${home.name} ${mode.name}: cut at ${new Date(c.at).toISOString()} gives ${h(mine)} here, ${h(viaReplay)} through replayAll`);
    }
    if (detail) {
      for (const a of r.falseAlerts) console.log(`  ${home.name} ${mode.name} false alert ${new Date(a.openedAt).toISOString()} -> ${a.resolvedAt ? new Date(a.resolvedAt).toISOString() : 'open'}${a.reachedNeighbour ? ' (neighbour)' : ''}\n      ${alertContext(home, a.openedAt)}`);
      for (const a of r.sensorQuestions) console.log(`  ${home.name} ${mode.name} quiet sensors, to the caseworker ${new Date(a.openedAt).toISOString()} -> ${a.resolvedAt ? new Date(a.resolvedAt).toISOString() : 'open'}\n      ${alertContext(home, a.openedAt)}`);
      for (const c of r.cuts) console.log(`  ${home.name} ${mode.name} cut ${new Date(c.at).toISOString()} ${c.phase}: ${h(c.delayMs)}${c.via === 'caseworker' ? ' (quiet sensors, caseworker)' : ''}`);
    }
  }
  all.push(...results);
  const row = (label: string, phase: string, s: Summary) =>
    console.log(`${label.padEnd(12)}${phase.padEnd(11)}${s.days.toFixed(1).padStart(6)}${String(s.falseAlerts).padStart(7)}${s.perResidentMonth.toFixed(2).padStart(8)}${String(s.reachedNeighbour).padStart(7)}${s.reachedNeighbourPerResidentMonth.toFixed(2).padStart(8)}${String(s.cuts).padStart(7)}${h(s.medianMs).padStart(10)}${h(s.maxMs).padStart(10)}${String(s.missed).padStart(7)}${`${s.cuts ? Math.round((100 * s.within2h) / s.cuts) : 0} %`.padStart(8)}${String(s.sensorQuestions).padStart(8)}${String(s.viaCaseworker).padStart(8)}`);
  console.log(`\n${mode.name}: false inactivity alerts and daytime collapses found, seeds ${seedText}, ${perDay} cuts a day each`);
  console.log(`${''.padEnd(12)}${''.padEnd(11)}${'days'.padStart(6)}${'false alerts'.padStart(15)}${'to neighbour'.padStart(15)}${'cuts'.padStart(7)}${'median'.padStart(10)}${'max'.padStart(10)}${'missed'.padStart(7)}${'<= 2 h'.padStart(8)}${'quiet sensors'.padStart(16)}`);
  console.log(`${'home'.padEnd(12)}${'phase'.padEnd(11)}${''.padStart(6)}${'n'.padStart(7)}${'/month'.padStart(8)}${'n'.padStart(7)}${'/month'.padStart(8)}${''.padStart(39)}${'alerts'.padStart(8)}${'cuts'.padStart(8)}`);
  for (const r of results) {
    if (!brief) for (const p of PHASES) if (r.days[p.name] > 0) row(r.home, p.name, summarise([r], p.name));
    row(r.home, 'all', summarise([r]));
  }
  for (const p of PHASES) row(`${results.length} homes`, p.name, summarise(results, p.name));
  row(`${results.length} homes`, 'all', summarise(results));
  // --tuned houseA,houseB: the homes the model was tuned on, and the others (unseen while tuning) apart
  const tuned = new Set(arg('--tuned', '').split(',').filter(Boolean).map((x) => x.toLowerCase()));
  if (tuned.size) {
    for (const [label, group] of [['tuned on', results.filter((r) => tuned.has(r.home.toLowerCase()))], ['unseen', results.filter((r) => !tuned.has(r.home.toLowerCase()))]] as const) {
      if (!group.length) continue;
      for (const p of PHASES) row(`${group.length} ${label}`, p.name, summarise(group, p.name));
      row(`${group.length} ${label}`, 'all', summarise(group));
    }
  }
  const asked = results.filter((r) => r.absenceQuestions > 0).map((r) => `${r.home} ${r.absenceQuestions}`);
  console.log(`long-absence questions to the caseworker (not counted above): ${asked.length ? asked.join(', ') : 'none'}`);
}
console.log(`\n(${((Date.now() - started) / 1000).toFixed(1)} s; a missed collapse counts as 24 h in the median and max)`);
const jsonFile = args('--json')[0];
if (jsonFile) {
  writeFileSync(jsonFile, JSON.stringify({
    seeds, perDay, homes: homes.map((x) => x.name),
    modes: modes.map((m) => ({
      mode: m.name,
      homes: Object.fromEntries(homes.map((x) => [x.name, Object.fromEntries([...PHASES.map((p) => [p.name, summarise(all.filter((r) => r.mode === m.name && r.home === x.name), p.name)]), ['all', summarise(all.filter((r) => r.mode === m.name && r.home === x.name))]])])),
      all: Object.fromEntries([...PHASES.map((p) => [p.name, summarise(all.filter((r) => r.mode === m.name), p.name)]), ['all', summarise(all.filter((r) => r.mode === m.name))]]),
    })),
  }, null, 2));
}
