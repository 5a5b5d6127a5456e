// Derives test/fixtures/zigbee2mqtt/models.jsonl: what zigbee2mqtt publishes for real smoke,
// CO, gas, water, SOS/keyfob, contact, motion and presence models, by running
// zigbee-herdsman-converters' own fromZigbee converters on the Zigbee messages those devices
// send (IAS zone status changes, occupancy reports, IAS ACE commands, Tuya datapoints,
// power-configuration reports). Not part of `npm test` and not a dependency of the gateway:
//
//   npm install --prefix /tmp/zhc zigbee-herdsman-converters@26.90.0
//   node scripts/derive-z2m-fixtures.mjs /tmp/zhc /path/to/zigbee-herdsman-converters.git > test/fixtures/zigbee2mqtt/models.jsonl
//
// The git directory (a clone of the converters' repository) is read only to name, per case,
// the source file and line of the model at the tag of the npm version used. Each line's
// `expect` is what the case means, derived here from the input message and the model's own
// exposes (a binary's value_on, an enum's words), independently of the gateway's decoder.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const [prefix, gitDir] = process.argv.slice(2);
if (!prefix || !gitDir) throw new Error('usage: derive-z2m-fixtures.mjs <npm prefix> <git dir>');
const require = createRequire(path.join(prefix, 'node_modules', 'x.js'));
const zhc = require('zigbee-herdsman-converters');
const pkg = require('zigbee-herdsman-converters/package.json');
const fz = require('zigbee-herdsman-converters/converters/fromZigbee');
const tuya = require('zigbee-herdsman-converters/lib/tuya');
const dist = path.dirname(require.resolve('zigbee-herdsman-converters'));
const tag = `v${pkg.version}`;
const commit = execFileSync('git', ['--git-dir', gitDir, 'rev-parse', `${tag}^{commit}`], { encoding: 'utf8' }).trim();
const REPO = 'Koenkk/zigbee-herdsman-converters';
zhc.setLogger({ debug() {}, info() {}, warning() {}, error() {} });

// the converters' export names, to say which one produced a payload
const converterName = new Map();
for (const [name, c] of Object.entries(fz)) if (c && typeof c === 'object') converterName.set(c, `fz.${name} (src/converters/fromZigbee.ts)`);
for (const [name, c] of Object.entries(tuya.fz ?? {})) if (c && typeof c === 'object') converterName.set(c, `tuya.fz.${name} (src/lib/tuya.ts)`);
const nameOf = (c) => converterName.get(c) ?? 'modern extend (src/lib/modernExtend.ts)';

function walk(e, f) { f(e); for (const x of e.features ?? []) walk(x, f); }
function exposesOf(def) {
  let ex = def.exposes;
  if (typeof ex === 'function') { try { ex = ex(undefined, {}); } catch { ex = []; } }
  const byProp = new Map();
  for (const e of ex) walk(e, (x) => { if (x.property && !byProp.has(x.property)) byProp.set(x.property, x); });
  return byProp;
}

// ---- the meaning of a published payload, from the model's exposes --------------------------
const HAZARDS = { smoke: 'smoke', carbon_monoxide: 'carbon_monoxide', gas: 'gas', water_leak: 'water_leak' };
const IAS_PREFIXED = { smoke: 'smoke', carbon_monoxide: 'carbon_monoxide', gas: 'gas', water_leak: 'water_leak', contact: 'contact', occupancy: 'occupancy' };
const STATE_WORDS = {
  smoke_state: { alarm: true, normal: false, none: false },
  co_state: { alarm: true, normal: false },
  presence_state: { none: false, presence: true, motion: true, stationary: true, peaceful: true, small_movement: true, large_movement: true },
};
const BATTERY_STATE = { low: true, middle: false, medium: false, high: false, full: false };
// actions that ask for help (CONTRACT.md "Real devices": the default emergencyActions)
const HELP = new Set(['sos', 'emergency', 'panic']);
const ONE_BUTTON = new Set(['single', 'double', 'hold', 'long', 'press']);

function binaryOn(expose, v) {
  if (!expose || expose.type !== 'binary') return typeof v === 'boolean' ? v : undefined;
  if (v === expose.value_on) return true;
  if (v === expose.value_off) return false;
  // what some converters publish beside their declared values: "True"/"False", 1/0
  if (typeof v === 'string' && typeof expose.value_on === 'boolean') {
    if (/^(true|on)$/i.test(v)) return expose.value_on;
    if (/^(false|off)$/i.test(v)) return expose.value_off;
  }
  if ((v === 0 || v === 1) && expose.value_on === true && expose.property !== 'contact') return v === 1;
  return undefined;
}

/** Our dialect's readings for a payload of a device of this kind; `press` classifies an action. */
function meaning(payload, exposes, kind) {
  const r = {};
  const set = (k, v) => { if (v !== undefined) r[k] = v; };
  for (const [p, v] of Object.entries(payload)) {
    const ex = exposes.get(p);
    if (HAZARDS[p] && (ex?.type === 'binary' || typeof v === 'boolean')) set(HAZARDS[p], binaryOn(ex, v));
    else if (/_alarm_[12]$/.test(p) && IAS_PREFIXED[p.replace(/_alarm_[12]$/, '')]) {
      const base = IAS_PREFIXED[p.replace(/_alarm_[12]$/, '')];
      const on = binaryOn(ex, v);
      // a door contact's second zone is a second input, not the door
      if (base === 'contact' && p.endsWith('_2')) continue;
      // two zones of one sensor: either one raised is the condition
      if (on !== undefined) r[base] = base === 'contact' ? (r[base] ?? true) && on : (r[base] ?? false) || on;
    } else if ((p === 'alarm_1' || p === 'alarm_2') && binaryOn(ex, v) !== undefined) {
      const on = binaryOn(ex, v);
      const target = { smoke: 'smoke', co: 'carbon_monoxide', gas: 'gas', water: 'water_leak', motion: 'occupancy', presence: 'occupancy', door: 'contact', button: 'sos' }[kind];
      if (target === 'contact') { if (p === 'alarm_1') r.contact = (r.contact ?? true) && !on; }
      else r[target] = (r[target] ?? false) || on;
    } else if (p === 'contact') {
      // contact is true = closed in every model; its expose's value_on is the open state (false), or "ON" = closed
      if (typeof v === 'boolean') r.contact = v;
      else if (v === 'ON' || v === 'OFF') r.contact = v === 'ON';
    }
    else if (p === 'occupancy' || p === 'presence') { const on = binaryOn(ex, v); if (on !== undefined) r.occupancy = (r.occupancy ?? false) || on; }
    else if (STATE_WORDS[p] && typeof v === 'string') {
      const m = STATE_WORDS[p][v.toLowerCase()];
      if (m !== undefined) { const k = p === 'smoke_state' ? 'smoke' : p === 'co_state' ? 'carbon_monoxide' : 'occupancy'; r[k] = k === 'occupancy' ? (r[k] ?? false) || m : m; }
    } else if (p === 'sos') set('sos', binaryOn(ex, v));
    else if (p === 'tamper') set('tamper', binaryOn(ex, v));
    else if (p === 'battery_low') set('battery_low', binaryOn(ex, v));
    else if (p === 'battery_state' && typeof v === 'string' && BATTERY_STATE[v.toLowerCase()] !== undefined) r.battery_low ??= BATTERY_STATE[v.toLowerCase()];
    else if (p === 'battery' && typeof v === 'number' && v >= 0 && v <= 100) r.battery = v;
    else if ((p === 'test' || p === 'test_mode') && (binaryOn(ex, v) === true || (typeof v === 'string' && v.toLowerCase() === 'test'))) r.test = true;
    else if ((p === 'test' || p === 'test_mode') && binaryOn(ex, v) === false) r.test ??= false;
    else if (p === 'action' && typeof v === 'string' && v !== '') r.action = v;
  }
  return r;
}

function emergencyOf(readings, kind) {
  if (readings.sos === true) return true;
  const a = readings.action;
  if (typeof a !== 'string') return false;
  if (HELP.has(a)) return true;
  return kind === 'button' && ONE_BUTTON.has(a);
}

// ---- simulated Zigbee traffic -----------------------------------------------------------
// the converters' global store keys its timers by class name (Endpoint, Device)
class Endpoint {
  constructor(device) { Object.assign(this, { ID: 1, deviceID: 0x0402, clusters: {}, inputClusters: [], outputClusters: [], deviceIeeeAddress: '0x00158d0001abcdef' }); this.device = device; }
  getDevice() { return this.device; }
  supportsInputCluster() { return true; }
  supportsOutputCluster() { return true; }
  getClusterAttributeValue() { return undefined; }
  saveClusterAttributeKeyValue() {}
}
class Device {
  constructor(def) {
    Object.assign(this, { ieeeAddr: '0x00158d0001abcdef', networkAddress: 1234, modelID: def.zigbeeModel?.[0] ?? def.model, manufacturerName: def.fingerprint?.[0]?.manufacturerName ?? def.vendor, powerSource: 'Battery', type: 'EndDevice', meta: {}, customClusters: {} });
    this.endpoints = [new Endpoint(this)];
  }
  getEndpoint() { return this.endpoints[0]; }
  save() {}
}
function fakeDevice(def) {
  const device = new Device(def);
  return { device, endpoint: device.endpoints[0] };
}

let seq = 1;
async function run(def, dev, cluster, type, data, state) {
  const out = {};
  const used = [];
  const msg = { type, cluster, data, endpoint: dev.endpoint, device: dev.device, linkquality: 87, groupID: 0, meta: { zclTransactionSequenceNumber: seq++, manufacturerCode: undefined, frameControl: {} } };
  for (const c of def.fromZigbee ?? []) {
    if (c.cluster !== cluster || ![].concat(c.type).includes(type)) continue;
    let res;
    try { res = await c.convert(def, msg, () => {}, {}, { state, device: dev.device, logger: undefined, options: {} }); } catch { continue; }
    if (res && typeof res === 'object' && Object.keys(res).length) { Object.assign(out, res); used.push(nameOf(c)); }
  }
  return { out, used };
}

function dp(dpId, datatype, value) {
  const data = datatype === 2 ? Buffer.from([0, 0, 0, value]) : Buffer.from([Number(value)]);
  return { dp: dpId, datatype, data };
}

const INTEREST = new Set(['smoke', 'carbon_monoxide', 'gas', 'water_leak', 'contact', 'occupancy', 'presence', 'sos', 'smoke_state', 'co_state', 'presence_state', 'alarm_1', 'alarm_2', 'smoke_alarm_1', 'contact_alarm_1', 'occupancy_alarm_1', 'test', 'test_mode']);

function kindOf(exposes) {
  const has = (p) => exposes.has(p);
  if (has('smoke') || has('smoke_state') || has('smoke_alarm_1')) return 'smoke';
  if (has('carbon_monoxide') && exposes.get('carbon_monoxide').type === 'binary' || has('co_state')) return 'co';
  if (has('gas') && exposes.get('gas').type === 'binary') return 'gas';
  if (has('water_leak')) return 'water';
  if (has('sos')) return 'button';
  const actions = exposes.get('action')?.values ?? [];
  if (actions.some((a) => HELP.has(a) || /^(arm|disarm)/.test(a))) return 'button';
  if (has('presence') || has('presence_state')) return 'presence';
  // one-button callers: a single key whose presses are all it can say
  if (actions.length > 0 && actions.length <= 5 && actions.includes('single') && actions.every((a) => ONE_BUTTON.has(a) || a === 'release' || a === 'triple')) return 'button';
  if (has('occupancy') || has('occupancy_alarm_1')) return 'motion';
  if (has('contact') || has('contact_alarm_1')) return 'door';
  if (has('alarm_1')) return 'generic';
  return null;
}

/** a generic IAS zone (alarm_1) means what the model is: its description says */
function genericKind(def) {
  const d = `${def.description ?? ''}`;
  if (/smoke|fire/i.test(d)) return 'smoke';
  if (/carbon|\bco\b/i.test(d)) return 'co';
  if (/gas/i.test(d)) return 'gas';
  if (/water|leak|flood/i.test(d)) return 'water';
  if (/door|window|contact/i.test(d)) return 'door';
  if (/motion|pir|occupancy/i.test(d)) return 'motion';
  if (/sos|emergency|panic/i.test(d)) return 'button';
  return null;
}

// source file and line of the model at the tag
const fileCache = new Map();
function sourceLine(file, model) {
  if (!fileCache.has(file)) {
    let text = '';
    try { text = execFileSync('git', ['--git-dir', gitDir, 'show', `${commit}:src/devices/${file}`], { encoding: 'utf8', maxBuffer: 64 << 20 }); } catch { /* moved */ }
    fileCache.set(file, text.split('\n'));
  }
  const lines = fileCache.get(file);
  const i = lines.findIndex((l) => l.includes(`model: "${model}"`) || l.includes(`model: '${model}'`));
  return i >= 0 ? i + 1 : null;
}

const cases = [];
for (const f of fs.readdirSync(path.join(dist, 'devices')).filter((n) => n.endsWith('.js')).sort()) {
  const file = f.replace(/\.js$/, '.ts');
  for (const raw of require(path.join(dist, 'devices', f)).definitions ?? []) {
    let def;
    try { def = zhc.prepareDefinition(raw); } catch { continue; }
    const exposes = exposesOf(def);
    let kind = kindOf(exposes);
    if (kind === 'generic') kind = genericKind(def);
    if (!kind) continue;
    const dev = fakeDevice(def);
    const source = { repository: REPO, commit, file: `src/devices/${file}`, line: sourceLine(file, def.model), package: `zigbee-herdsman-converters@${pkg.version}` };
    const base = {};
    // a battery report first, as the cached state zigbee2mqtt merges into every publish
    const bat = await run(def, dev, 'genPowerCfg', 'attributeReport', { batteryPercentageRemaining: 170, batteryVoltage: 29 }, {});
    if (bat.out.battery !== undefined) base.battery = bat.out.battery;
    if (bat.out.voltage !== undefined) base.voltage = bat.out.voltage;
    const seen = new Set();
    const add = (scenario, input, res, extra = {}) => {
      if (!res.used.length) return;
      for (const k of Object.keys(res.out)) if (res.out[k] === undefined || res.out[k] === null) delete res.out[k];
      const payload = { ...base, ...res.out, ...extra, linkquality: 87 };
      const interesting = Object.keys(res.out).some((k) => INTEREST.has(k) || k === 'action' || k === 'battery_low' || k === 'battery_state' || k === 'tamper' || k === 'battery');
      if (!interesting) return;
      const key = JSON.stringify(res.out);
      if (seen.has(key)) return;
      seen.add(key);
      const expect = meaning(payload, exposes, kind);
      // a percentage the device reports undivided (170 for 85 %, 200 when full): not a percentage we can use
      const dropped = typeof payload.battery === 'number' && (payload.battery > 100 || payload.battery < 0) ? { dropped: ['bad_type_battery'] } : {};
      cases.push({ vendor: def.vendor, model: def.model, kind, scenario, payload, expect, emergency: emergencyOf(expect, kind), ...dropped, source: { ...source, converter: [...new Set(res.used)].join(', '), input } });
    };
    // IAS zone status changes: idle, alarm 1, alarm 2, tamper, battery low, self-test (bit 8;
    // Bosch smoke alarms use bit 10 for their test mode)
    for (const [scenario, zs] of [['idle', 0], ['alarm_1', 1], ['alarm_2', 2], ['tamper', 4], ['battery_low', 8], ['test', 0x101], ['test_bit10', 0x401]]) {
      const data = { zonestatus: zs, extendedstatus: 0, zoneID: 1, delay: 0 };
      add(scenario, `ssIasZone commandStatusChangeNotification zonestatus=0x${zs.toString(16).padStart(4, '0')}`, await run(def, dev, 'ssIasZone', 'commandStatusChangeNotification', data, {}));
    }
    for (const [scenario, occ] of [['occupied', 1], ['unoccupied', 0]]) {
      add(scenario, `msOccupancySensing attributeReport occupancy=${occ}`, await run(def, dev, 'msOccupancySensing', 'attributeReport', { occupancy: occ }, {}));
    }
    if (kind === 'door') for (const [scenario, on] of [['closed', 0], ['open', 1]]) {
      add(`onoff_${on}`, `genOnOff attributeReport onOff=${on}`, await run(def, dev, 'genOnOff', 'attributeReport', { onOff: on }, {}));
    }
    // IAS ACE: keypads and keyfobs
    for (const mode of [0, 1, 2, 3]) add(`arm_${mode}`, `ssIasAce commandArm armmode=${mode}`, await run(def, dev, 'ssIasAce', 'commandArm', { armmode: mode, code: '', zoneid: 0 }, {}));
    for (const cmd of ['commandPanic', 'commandEmergency', 'commandFire']) add(cmd, `ssIasAce ${cmd}`, await run(def, dev, 'ssIasAce', cmd, {}, {}));
    // Tuya datapoints that carry what we read
    for (const [dpId, key] of def.meta?.tuyaDatapoints ?? []) {
      if (!INTEREST.has(key) && key !== 'battery_state' && key !== 'battery_low' && key !== 'tamper') continue;
      // a device sends a datapoint in one type: the enum form only where the boolean one says nothing
      let boolSaid = false;
      for (const [datatype, values] of [[1, [0, 1]], [4, [0, 1, 2]]]) {
        if (datatype === 4 && boolSaid) continue;
        for (const v of values) {
          const res = await run(def, dev, 'manuSpecificTuya', 'commandDataReport', { dpValues: [dp(dpId, datatype, v)], seq: seq++ }, {});
          if (res.out[key] === undefined) continue;
          if (datatype === 1) boolSaid = true;
          add(`dp${dpId}_${v}`, `manuSpecificTuya commandDataReport dp=${dpId} type=${datatype === 1 ? 'bool' : 'enum'} value=${v}`, { out: { [key]: res.out[key] }, used: res.used });
        }
      }
    }
    // Tuya devices whose converter has no datapoint table of its own: each datapoint id in turn
    if (!def.meta?.tuyaDatapoints && (def.fromZigbee ?? []).some((c) => c.cluster === 'manuSpecificTuya')) {
      for (let dpId = 1; dpId <= 25; dpId++) for (const [datatype, values] of [[1, [0, 1]], [4, [0, 1, 2]]]) for (const v of values) {
        const res = await run(def, dev, 'manuSpecificTuya', 'commandDataReport', { dpValues: [dp(dpId, datatype, v)], seq: seq++ }, {});
        const keys = Object.keys(res.out).filter((k) => INTEREST.has(k) || k === 'battery_state' || k === 'battery_low' || k === 'tamper');
        // a boolean datapoint fed as an enum passes the number through: not what the device sends
        if (datatype === 4 && keys.some((k) => typeof res.out[k] === 'number')) continue;
        if (keys.length) add(`dp${dpId}_${v}`, `manuSpecificTuya commandDataReport dp=${dpId} type=${datatype === 1 ? 'bool' : 'enum'} value=${v}`, { out: Object.fromEntries(keys.map((k) => [k, res.out[k]])), used: res.used });
      }
    }
    // Aqara (lumi) attribute reports: 100 is the sensor's state, 322 the FP1's presence
    for (const cluster of ['manuSpecificLumi', 'genBasic']) {
      if (!(def.fromZigbee ?? []).some((c) => c.cluster === cluster)) continue;
      for (const attr of ['100', '322']) for (const v of [0, 1]) {
        const res = await run(def, dev, cluster, 'attributeReport', { [attr]: v }, {});
        const keys = Object.keys(res.out).filter((k) => INTEREST.has(k) || k === 'battery_low' || k === 'tamper');
        if (keys.length) add(`lumi_${attr}_${v}`, `${cluster} attributeReport ${attr}=${v}`, { out: Object.fromEntries(keys.map((k) => [k, res.out[k]])), used: res.used });
      }
    }
    // buttons: every action the model exposes (what zigbee2mqtt publishes as {"action": ...})
    if (kind === 'button') for (const a of exposes.get('action')?.values ?? []) {
      add(`action_${a}`, `exposes: action "${a}"`, { out: { action: a }, used: ['exposes (action values)'] });
    }
    // the battery quirk: devices that report percent undivided (meta.battery.dontDividePercentage) and a full battery as 200
    if (def.meta?.battery?.dontDividePercentage && ['smoke', 'co', 'gas', 'water'].includes(kind)) {
      const b = await run(def, dev, 'genPowerCfg', 'attributeReport', { batteryPercentageRemaining: 200 }, {});
      const alarm = await run(def, dev, 'ssIasZone', 'commandStatusChangeNotification', { zonestatus: 1, extendedstatus: 0, zoneID: 1, delay: 0 }, {});
      if (b.out.battery > 100 && alarm.used.length) {
        const payload = { ...alarm.out, battery: b.out.battery, linkquality: 87 };
        const expect = meaning({ ...alarm.out }, exposes, kind);
        cases.push({ vendor: def.vendor, model: def.model, kind, scenario: 'alarm_battery_200', payload, expect, emergency: false, dropped: ['bad_type_battery'], source: { ...source, converter: [nameOf(def.fromZigbee.find((c) => c.cluster === 'genPowerCfg')), ...alarm.used].join(', '), input: 'genPowerCfg attributeReport batteryPercentageRemaining=200, then ssIasZone zonestatus=0x0001' } });
      }
    }
  }
}
for (const c of cases) process.stdout.write(JSON.stringify(c) + '\n');
process.stderr.write(`${cases.length} cases, ${new Set(cases.map((c) => c.model)).size} models\n`);
