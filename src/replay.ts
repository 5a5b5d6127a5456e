// npm run replay -- --config FILE --events EVENTS.jsonl [--until ISO-8601]
// Runs the same decoders and rules core as the live gateway over recorded events, on a virtual
// clock (no waiting, no texts), and prints each alert the config would have raised as a JSON
// line: {"kind","residentId","openedAt","resolvedAt"?}. A log line
// {"at","receiver":"<serial path>","down":true|false,"reason"?} is a receiver outage or recovery. Users tune thresholds on last month's
// data before a resident goes live.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig, ConfigError, type Config } from './config/index.ts';
import { decodeAvailability, decodeState } from './devices/index.ts';
import type { DeviceEvent } from './domain/types.ts';
import { receiverServes, replay, type ReceiverChange, type ResidentRulesConfig } from './rules/index.ts';
import { replayConfigFor } from './replay-config.ts';

const USAGE = `usage: npm run replay -- --config FILE --events EVENTS.jsonl [--until ISO-8601]

Runs the decoders and rules over recorded events on a virtual clock (no waiting, no texts) and
prints each alert the config would have raised as a JSON line.

  -c, --config FILE     the gateway's YAML config (residents, devices, rules)
  -e, --events FILE     one event a line: {"at": ISO-8601, "device": "<id>", "payload": {...}};
                        a serial receiver's outage and recovery:
                        {"at": ISO-8601, "receiver": "<serial path>", "down": true|false, "reason": "..."}
      --until TIME      run the clock on to this ISO-8601 time, so silences after the last event count
  -h, --help            this text`;

function fail(message: string): never {
  process.stderr.write(message + '\n');
  process.exit(2);
}

/** a line of the log, for one resident: a device event, or a receiver outage of a home it serves */
export type LoggedInput = DeviceEvent | (ReceiverChange & { residentId: string });

/**
 * The log's lines in time order: device events, and each receiver outage or recovery once for
 * every resident with a device it serves (the live runtime hands it to the same homes).
 */
export function readLog(text: string, config: Config, warn: (msg: string) => void): LoggedInput[] {
  const devices = new Map(config.residents.flatMap((r) => r.devices.map((d) => [d.id, { residentId: r.id, kind: d.kind }] as const)));
  const receivers = new Map(config.serial.map((s) => [s.path, s.protocol] as const));
  const events: LoggedInput[] = [];
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    const where = `line ${index + 1}`;
    let record: { at?: unknown; device?: unknown; payload?: unknown; receiver?: unknown; down?: unknown; reason?: unknown };
    try {
      record = JSON.parse(line);
    } catch {
      return warn(`${where}: not JSON, skipped`);
    }
    if (record === null || typeof record !== 'object') return warn(`${where}: not a JSON object, skipped`);
    const at = typeof record.at === 'string' ? Date.parse(record.at) : NaN;
    if (Number.isNaN(at)) return warn(`${where}: "at" is not an ISO-8601 time, skipped`);
    if (record.receiver !== undefined) {
      const protocol = typeof record.receiver === 'string' ? receivers.get(record.receiver) : undefined;
      if (!protocol) return warn(`${where}: unknown receiver ${JSON.stringify(record.receiver)} (not in the config's serial list), skipped`);
      if (typeof record.down !== 'boolean') return warn(`${where}: "down" is not true or false, skipped`);
      const reason = typeof record.reason === 'string' && record.reason ? record.reason.slice(0, 200) : record.down ? 'receiver down' : 'receiver back';
      const served = new Set(config.residents.filter((r) => r.devices.some((d) => receiverServes(protocol, d))).map((r) => r.id));
      for (const residentId of [...served].sort()) {
        events.push({ type: 'receiver', at, path: record.receiver as string, down: record.down, reason, residentId });
      }
      return;
    }
    const device = typeof record.device === 'string' ? devices.get(record.device) : undefined;
    if (!device) return warn(`${where}: unknown device ${JSON.stringify(record.device)}, skipped`);
    const base = { at, deviceId: record.device as string, residentId: device.residentId, kind: device.kind, source: 'replay' as const };
    const payload = record.payload;
    // availability as the device dialect sends it: {"state":"online"|"offline"} or the plain word
    const state = typeof payload === 'string' ? payload : (payload as { state?: unknown } | null)?.state;
    if ((state === 'online' || state === 'offline') && (typeof payload === 'string' || Object.keys(payload as object).length === 1)) {
      const decoded = decodeAvailability(Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)));
      if (decoded.ok) events.push({ ...base, type: 'availability', availability: decoded.value });
      return;
    }
    const decoded = decodeState(Buffer.from(JSON.stringify(payload ?? null)), device.kind);
    if (!decoded.ok) return warn(`${where}: payload dropped (${decoded.reason})`);
    events.push({ ...base, type: 'state', readings: decoded.value });
  });
  // stable: lines at the same time keep the log's order
  return events.sort((a, b) => a.at - b.at);
}

/** the log's device events only (the evaluation's home logs hold no receiver lines) */
export function readEvents(text: string, config: Config, warn: (msg: string) => void): DeviceEvent[] {
  return readLog(text, config, warn).filter((e): e is DeviceEvent => e.type !== 'receiver');
}

export interface ReplayedAlert { kind: string; residentId: string; openedAt: string; resolvedAt?: string; key: string }

export function replayAll(config: Config, events: readonly LoggedInput[], until?: number): ReplayedAlert[] {
  if (!events.length) return [];
  const start = events[0].at;
  const end = Math.max(until ?? 0, events[events.length - 1].at);
  const out: ReplayedAlert[] = [];
  for (const resident of config.residents) {
    const cfg: ResidentRulesConfig = replayConfigFor(resident, config.site.timezone);
    const own = events.filter((e) => e.residentId === resident.id);
    const { alerts } = replay(cfg, own, start, end);
    for (const a of alerts) {
      out.push({
        kind: a.kind, residentId: resident.id, openedAt: new Date(a.openedAt).toISOString(),
        ...(a.resolvedAt !== null ? { resolvedAt: new Date(a.resolvedAt).toISOString() } : {}), key: a.key,
      });
    }
  }
  return out.sort((a, b) => a.openedAt.localeCompare(b.openedAt));
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!);
if (isMain) {
  const options = {
    config: { type: 'string', short: 'c' }, events: { type: 'string', short: 'e' }, until: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  } as const;
  let values: { config?: string; events?: string; until?: string; help?: boolean };
  try {
    values = parseArgs({ options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    fail(`${(err as Error).message}\n\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  const configFile = values.config ?? fail(USAGE);
  const eventsFile = values.events ?? fail(USAGE);
  const untilText = values.until;
  const until = untilText ? Date.parse(untilText) : undefined;
  if (untilText && Number.isNaN(until)) fail(`--until: expected an ISO-8601 time, got ${untilText}`);
  let config: Config;
  try {
    config = loadConfig(configFile);
  } catch (err) {
    if (err instanceof ConfigError) fail(`config error in ${configFile}:\n${err.problems.map((p) => `  ${p}`).join('\n')}`);
    throw err;
  }
  let text: string;
  try {
    text = readFileSync(eventsFile, 'utf8');
  } catch (err) {
    fail(`${eventsFile}: cannot read (${(err as NodeJS.ErrnoException).code})`);
  }
  const events = readLog(text, config, (msg) => process.stderr.write(`${eventsFile}: ${msg}\n`));
  for (const alert of replayAll(config, events, until)) process.stdout.write(JSON.stringify(alert) + '\n');
}
