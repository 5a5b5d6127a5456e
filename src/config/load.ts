// YAML loading, ${ENV} substitution and validation, with every error named by its key path.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.ts';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** `residents[0].rules.inactivity.after` from ['residents', 0, 'rules', ...] */
export function keyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

/** Replaces ${NAME} in every string value; an unset variable is an error at that key. */
function substituteEnv(node: unknown, env: NodeJS.ProcessEnv, path: PropertyKey[], problems: string[]): unknown {
  if (typeof node === 'string') {
    return node.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_all, name: string) => {
      const value = env[name];
      if (value === undefined) {
        problems.push(`${keyPath(path)}: environment variable ${name} is not set`);
        return '';
      }
      return value;
    });
  }
  if (Array.isArray(node)) return node.map((v, i) => substituteEnv(v, env, [...path, i], problems));
  if (node && typeof node === 'object' && !(node instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = substituteEnv(v, env, [...path, k], problems);
    return out;
  }
  return node;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_union') {
    // name the branch the value meant to be, not every alternative
    const errors = (issue as { errors?: z.core.$ZodIssue[][] }).errors ?? [];
    const best = errors.map((list) => list[0]).find((i) => i && i.code !== 'invalid_value');
    if (best) return describeIssue(best);
  }
  return issue.message;
}

/** Checks that need the whole config: unique ids, each device reachable by some transport. */
function crossCheck(config: Config): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const z2mNames = new Map<string, string>();
  const rfKeys = new Map<string, string>();
  const jsonlKeys = new Map<string, string>();
  const residentIds = new Set<string>();
  const bridgeUsers = new Set(config.mqtt.bridges.map((b) => b.username));
  config.residents.forEach((resident, r) => {
    if (residentIds.has(resident.id)) problems.push(`residents[${r}].id: duplicate resident id ${resident.id}`);
    residentIds.add(resident.id);
    resident.devices.forEach((device, d) => {
      const at = `residents[${r}].devices[${d}]`;
      if (seen.has(device.id)) problems.push(`${at}.id: duplicate device id ${device.id} (also ${seen.get(device.id)})`);
      seen.set(device.id, at);
      if (bridgeUsers.has(device.id)) problems.push(`${at}.id: ${device.id} is also a bridge username`);
      if (!device.secret && !device.zigbee2mqtt && !device.rflink && !device.jsonl) {
        problems.push(`${at}: a device needs a secret (MQTT), a zigbee2mqtt name, an rflink key or a jsonl key`);
      }
      if (device.entrance !== undefined && device.kind !== 'door') problems.push(`${at}.entrance: only doors have an entrance flag`);
      if (device.emergencyActions !== undefined && device.kind !== 'button') problems.push(`${at}.emergencyActions: only buttons have emergency actions (sos, emergency and panic count on any device)`);
      if (device.idFields !== undefined && !device.jsonl) problems.push(`${at}.idFields: only a device with a jsonl key has idFields`);
      if (device.zigbee2mqtt) {
        if (z2mNames.has(device.zigbee2mqtt)) problems.push(`${at}.zigbee2mqtt: friendly name already used by ${z2mNames.get(device.zigbee2mqtt)}`);
        z2mNames.set(device.zigbee2mqtt, at);
      }
      if (device.rflink) {
        if (rfKeys.has(device.rflink)) problems.push(`${at}.rflink: key already used by ${rfKeys.get(device.rflink)}`);
        rfKeys.set(device.rflink, at);
      }
      if (device.jsonl) {
        if (jsonlKeys.has(device.jsonl)) problems.push(`${at}.jsonl: key already used by ${jsonlKeys.get(device.jsonl)}`);
        jsonlKeys.set(device.jsonl, at);
      }
    });
  });
  if (config.sms.provider === 'twilio') {
    for (const key of ['accountSid', 'authToken', 'from'] as const) {
      if (!config.twilio?.[key]) problems.push(`twilio.${key}: required when sms.provider is twilio`);
    }
  }
  return problems;
}

export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const substituted = substituteEnv(raw ?? {}, env, [], problems);
  if (problems.length) throw new ConfigError(problems);
  const result = configSchema.safeParse(substituted);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${keyPath(issue.path)}: ${describeIssue(issue)}`));
  }
  const config = result.data;
  // twilio configured with credentials means texts go to Twilio unless told otherwise
  if (!config.sms.provider) {
    config.sms.provider = config.twilio?.accountSid && config.twilio.authToken && config.twilio.from ? 'twilio' : 'log';
  }
  const cross = crossCheck(config);
  if (cross.length) throw new ConfigError(cross);
  return config;
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`${file}: cannot read config (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new ConfigError([`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  return parseConfig(raw, env);
}
