// Provisioned residents, contacts and devices are checked by the very schema that checks the
// config file, so a resident means the same thing whether it came from YAML or the API, and a
// bad value is reported with its key path (e.g. `rules.inactivity.after: expected a duration`).
import { configSchema, keyPath, type ResidentConfig, type ContactConfig, type DeviceConfig } from '../config/index.ts';
import { invalid, CODE_OF_KEY, type CasefileErrorCode, type ErrorParams } from './errors.ts';

type Issue = { code: string; message: string; keys?: string[]; values?: unknown[]; input?: unknown };

function describe(issue: Issue): string {
  return issue.code === 'unrecognized_keys' && issue.keys ? `unknown key ${issue.keys.join(', ')}` : issue.message;
}

/** a schema issue as a code and parameters: the field (the last key), its key path, and what it allows */
function codeOf(issue: Issue, path: PropertyKey[]): { code: CasefileErrorCode; params: ErrorParams } {
  const keys = path.filter((p): p is string => typeof p === 'string');
  const field = keys[keys.length - 1] ?? '';
  const params: ErrorParams = { field, path: keyPath(path) };
  if (issue.code === 'unrecognized_keys') return { code: 'unknown_key', params: { ...params, field: issue.keys?.[0] ?? field, key: issue.keys?.join(', ') ?? '' } };
  // a required key left out (or a name left empty)
  if (issue.input === undefined || (issue.code === 'too_small' && issue.input === '')) return { code: 'field_required', params };
  if (CODE_OF_KEY[field]) return { code: CODE_OF_KEY[field], params };
  if (issue.code === 'invalid_value' && issue.values) return { code: 'invalid_choice', params: { ...params, options: issue.values.map(String) } };
  return { code: 'invalid_value', params };
}

/** validates one resident entry as it would appear under `residents:` in the config */
function parseResidentEntry(entry: Record<string, unknown>, prefix: PropertyKey[]): ResidentConfig {
  // reportInput: a key that is absent (input undefined) is told apart from one with a wrong value
  const result = configSchema.safeParse({ residents: [entry] }, { reportInput: true });
  if (!result.success) {
    const issue = result.error.issues[0];
    // ['residents', 0, ...rest] -> the path inside the request body
    const rest = issue.path.slice(2);
    const path = rest.length >= prefix.length && prefix.every((p, i) => rest[i] === p) ? rest.slice(prefix.length) : rest;
    const { code, params } = codeOf(issue as Issue, path);
    throw invalid(`${keyPath(path)}: ${describe(issue as Issue)}`, code, params);
  }
  return result.data.residents[0];
}

export interface ResidentFields {
  id?: string;
  name?: string;
  address?: string;
  timezone?: string;
  locale?: string;
  visitCycle?: string | null;
  area?: string | null;
  birthday?: string | null;
  rules?: Record<string, unknown>;
  contacts?: Array<Record<string, unknown>>;
}

/** null means "not set" in a request body; the config schema knows only absent */
export function dropNulls(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null));
}

/** the given fields, parsed; fields not given stay undefined */
export function parseResidentFields(id: string, body: ResidentFields) {
  const { visitCycle, area, birthday, ...rest } = body;
  const parsed = parseResidentEntry({
    ...rest, id, name: body.name ?? 'placeholder', ...(visitCycle ? { visitCycle } : {}),
    ...(area ? { area } : {}), ...(birthday ? { birthday } : {}),
    ...(body.contacts ? { contacts: body.contacts.map(dropNulls) } : {}),
  }, []);
  return {
    name: body.name === undefined ? undefined : parsed.name,
    address: body.address === undefined ? undefined : parsed.address,
    timezone: body.timezone === undefined ? undefined : parsed.timezone,
    locale: body.locale === undefined ? undefined : parsed.locale,
    visitCycleMs: visitCycle === undefined ? undefined : visitCycle === null ? null : parsed.visitCycle ?? null,
    // null clears an area or birthday; absent leaves it
    area: area === undefined ? undefined : area === null ? null : parsed.area ?? null,
    birthday: birthday === undefined ? undefined : birthday === null ? null : parsed.birthday ?? null,
    rules: body.rules === undefined ? undefined : parsed.rules,
    contacts: body.contacts === undefined ? undefined : parsed.contacts,
  };
}

export function parseContact(body: Record<string, unknown>): ContactConfig {
  return parseResidentEntry({ id: 'x', name: 'x', contacts: [dropNulls(body)] }, ['contacts', 0]).contacts[0];
}

export function parseDevice(body: Record<string, unknown>): DeviceConfig {
  return parseResidentEntry({ id: 'x', name: 'x', devices: [dropNulls(body)] }, ['devices', 0]).devices[0];
}
