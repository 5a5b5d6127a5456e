// The one config schema: zod gives both the TypeScript type (z.infer) and the validator.
// Key names follow docs/contract.md "Config (YAML)" exactly.
import { z } from 'zod';
// the zone names the rules and the calendar can read (src/time, on Temporal)
import { isTimeZone } from '../time/index.ts';
import type { DeviceKind } from '../domain/types.ts';

const DURATION_RE = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "30s" | "10m" | "12h" | "2d" -> milliseconds */
export function parseDuration(text: string): number {
  const m = DURATION_RE.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

const duration = z
  .string({ error: 'expected a duration like "30s", "10m", "12h"' })
  .regex(DURATION_RE, { error: 'expected a duration like "30s", "10m", "12h"' })
  .transform(parseDuration);

const HOURS_RE = /^([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/;

/** A local time window in minutes after midnight; `end <= start` wraps past midnight. */
export interface HourWindow { start: number; end: number; text: string }

const hours = z
  .string({ error: 'expected hours like "22:00-06:00"' })
  .regex(HOURS_RE, { error: 'expected hours like "22:00-06:00"' })
  .transform((text, ctx): HourWindow => {
    const m = HOURS_RE.exec(text)!;
    const start = Number(m[1]) * 60 + Number(m[2]);
    const end = Number(m[3]) * 60 + Number(m[4]);
    if (start > 1440 || end > 1440) {
      ctx.addIssue({ code: 'custom', message: 'hours must be within 00:00-24:00' });
      return z.NEVER;
    }
    return { start, end, text };
  });

const timezone = z.string().refine(isTimeZone, { error: 'expected an IANA time zone like "Asia/Shanghai"' });

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'expected a date like 2026-10-01' })
  .refine((text) => { const d = new Date(`${text}T00:00:00Z`); return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(text); }, { error: 'expected a date that exists, like 2026-10-01' });

/** where a device is in the home: the rules read a silence after the bathroom differently from one after going to bed */
export const ROOMS = ['bedroom', 'bathroom', 'kitchen', 'living', 'hall', 'entrance', 'other'] as const;
export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

const dateValue = z.union([isoDate, z.date().transform((d) => d.toISOString().slice(0, 10))]);

const slug = z.string().regex(/^[a-z0-9-]+$/, { error: 'expected lowercase letters, digits and dashes' });

const port = z.number().int().min(0).max(65535);

const mqtt = z
  .object({
    host: z.string().default('0.0.0.0'),
    port: port.default(1883),
    bridges: z
      .array(
        z.object({
          username: z.string().min(1),
          password: z.string().min(1),
          baseTopic: z.string().min(1).regex(/^[^#+]+$/, { error: 'no wildcards in a base topic' }),
        }).strict(),
      )
      .default([]),
    tls: z
      .object({ port, host: z.string().optional(), cert: z.string(), key: z.string() })
      .strict()
      .optional(),
    websocket: z.object({ port, host: z.string().optional() }).strict().optional(),
  })
  .strict();

const http = z
  .object({
    host: z.string().default('0.0.0.0'),
    port: port.default(8080),
    publicUrl: z.string().url().optional(),
    /** /metrics without a token; off by default: the counts tell when alarms happened and who is connected */
    publicMetrics: z.boolean().default(false),
  })
  .strict();

const site = z
  .object({
    /** the name the site's processes share (several machines on one storage.url): in /healthz/detail and /metrics */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, { error: 'expected a short name of letters, digits, ".", "_" or "-"' }).default('site'),
    timezone: timezone.default('UTC'),
    holidays: z.array(dateValue).default([]),
    /** make-up working days (调休) on top of the official calendar, e.g. a Saturday worked for a holiday */
    workdays: z.array(dateValue).default([]),
    /** cn: China's official calendar (public holidays and make-up working days) under holidays/workdays; weekends: Saturday and Sunday only */
    calendar: z.enum(['cn', 'weekends'], { error: 'expected "cn" or "weekends"' }).default('cn'),
    /** the weekly knock-on-door round */
    knockDay: z.enum(WEEKDAYS, { error: 'expected a weekday like "wednesday"' }).optional(),
  })
  .strict();

const DEFAULT_DB_PATH = './data/gateway.db';
const POSTGRES_URL_RE = /^postgres(ql)?:\/\/[^/\s]+\/[^\s/]+$/;

// storage.path: one machine, a SQLite file; storage.url: a site of several machines sharing one
// PostgreSQL (CONTRACT.md "Several machines"). One or the other, never both.
const storage = z
  .object({
    path: z.string().optional(),
    url: z.string().regex(POSTGRES_URL_RE, { error: 'expected a PostgreSQL URL like "postgres://gateway@db.example.org:5432/gateway"' }).optional(),
    sync: z.enum(['normal', 'full']).default('normal'),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.url !== undefined && s.path !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'set either path (SQLite on this machine) or url (PostgreSQL), not both' });
    }
  })
  .transform((s) => ({ ...s, path: s.path ?? DEFAULT_DB_PATH }));

const sms = z.object({ provider: z.enum(['twilio', 'log']).optional() }).strict();

const twilio = z
  .object({
    accountSid: z.string().optional(),
    authToken: z.string().optional(),
    from: z.string().optional(),
    apiBaseUrl: z.string().url().optional(),
  })
  .strict();

const api = z
  .object({
    tokens: z
      .array(
        z.object({
          name: z.string().min(1),
          role: z.enum(['caseworker', 'admin']),
          token: z.string().min(8, { error: 'a token needs at least 8 characters' }),
        }).strict(),
      )
      .default([]),
  })
  .strict();

const serialPort = z
  .object({
    path: z.string().min(1),
    baudRate: z.number().int().positive().default(57600),
    protocol: z.enum(['rflink', 'jsonl']).default('rflink'),
    /** jsonl only: which fields of a line name the device, joined with ";" to match a device's `jsonl` key */
    idFields: z.array(z.string()).optional(),
    /** rflink: how often to ping the receiver; silence for 3 intervals is an outage */
    pingInterval: duration.optional(),
  })
  .strict();

const roles = z.enum(['neighbor', 'family', 'caseworker', 'resident']);

const escalationStep = z
  .object({
    notify: z.array(roles).min(1),
    after: duration,
    via: z.enum(['sms', 'call']).default('sms'),
    /** while the alert is open, tell the step's contacts again `every` after the step fired, up to `times` more times */
    repeat: z
      .object({
        every: duration.refine((ms) => ms > 0, { error: 'expected a duration above zero' }),
        times: z.number({ error: 'expected a whole number from 1 to 10' }).int({ error: 'expected a whole number from 1 to 10' })
          .min(1, { error: 'expected a whole number from 1 to 10' }).max(10, { error: 'expected a whole number from 1 to 10' }),
      })
      .strict()
      .optional(),
  })
  .strict();

const alertKind = z.enum(['smoke', 'co', 'gas', 'water_leak', 'emergency', 'inactivity', 'night_door', 'device_offline', 'battery_low', 'tamper', 'absence']);

type Steps = Array<z.infer<typeof escalationStep>>;
/** CONTRACT.md's smoke policy: what a hazard gets when the config names none for it */
const HAZARD_DEFAULT: Steps = [
  { notify: ['neighbor', 'family'], after: 0, via: 'sms' },
  { notify: ['caseworker'], after: 120_000, via: 'sms' },
];
/** someone asked for help: everyone near at once (a resident may have no neighbour on file), the caseworker after 3 min */
const EMERGENCY_DEFAULT: Steps = [
  { notify: ['neighbor', 'family'], after: 0, via: 'sms' },
  { notify: ['caseworker'], after: 180_000, via: 'sms' },
];
/**
 * where is the resident: the caseworker first (long away, or a silence after a stir or after
 * visitors left, which may be a fall), the family an hour on if nobody has answered, so one unread
 * text is never the only one; never the neighbour, who cannot know
 */
const ABSENCE_DEFAULT: Steps = [
  { notify: ['caseworker'], after: 0, via: 'sms' },
  { notify: ['family'], after: 3_600_000, via: 'sms' },
];
/** a leak is urgent (a flooded floor, a tap left running) but not a fire: the caseworker after 10 min */
const WATER_DEFAULT: Steps = [
  { notify: ['neighbor', 'family'], after: 0, via: 'sms' },
  { notify: ['caseworker'], after: 600_000, via: 'sms' },
];

/**
/**
 * A life-safety alarm is never left without a policy: smoke, CO and gas take the config's smoke
 * steps or else the contract's smoke example, a leak and the emergency button defaults of their
 * own, unless the config names theirs. (A config without escalation still tells someone of a
 * fire or a pressed SOS button.) A long absence nobody planned is a question for the caseworker,
 * unless the config says otherwise.
 */
const escalation = z.partialRecord(alertKind, z.array(escalationStep).min(1)).transform((e) => {
  const smoke = e.smoke ?? HAZARD_DEFAULT;
  return {
    ...e, smoke, co: e.co ?? smoke, gas: e.gas ?? smoke, water_leak: e.water_leak ?? WATER_DEFAULT,
    emergency: e.emergency ?? EMERGENCY_DEFAULT, absence: e.absence ?? ABSENCE_DEFAULT,
  };
});

/** every DeviceKind (domain/types.ts), as the config spells them; the type checks that the two agree */
export const DEVICE_KIND_NAMES = ['smoke', 'co', 'gas', 'water', 'button', 'door', 'motion', 'presence'] as const satisfies readonly DeviceKind[];
type _EveryKindNamed = [DeviceKind] extends [(typeof DEVICE_KIND_NAMES)[number]] ? true : never;
const _everyKindNamed: _EveryKindNamed = true;
void _everyKindNamed;

const contact = z
  .object({
    name: z.string().min(1),
    phone: z.string().regex(/^\+[1-9]\d{6,14}$/, { error: 'expected an E.164 phone number like "+8613800000001"' }),
    role: roles,
    /** on-call hours in the resident's time zone; always on call when absent */
    onCall: hours.optional(),
    locale: z.enum(['en', 'zh-CN']).optional(),
  })
  .strict();

const device = z
  .object({
    id: slug,
    kind: z.enum(DEVICE_KIND_NAMES, { error: `expected a device kind: ${DEVICE_KIND_NAMES.join(', ')}` }),
    /** what people read on the page and in texts, e.g. "大门" or "kitchen smoke alarm" */
    name: z.string().min(1).max(80).optional(),
    room: z.enum(ROOMS, { error: `expected a room: ${ROOMS.join(', ')}` }).optional(),
    entrance: z.boolean().optional(),
    secret: z.string().min(1).optional(),
    zigbee2mqtt: z.string().min(1).optional(),
    rflink: z.string().regex(/^[^;]+;ID=[^;]+(;SWITCH=[^;]+)?$/, { error: 'expected "<Name>;ID=<id>" or "<Name>;ID=<id>;SWITCH=<n>"' }).optional(),
    jsonl: z.string().min(1).optional(),
    /** jsonl: the fields of a line that name this device (default: its port's idFields, else model and id) */
    idFields: z.array(z.string().min(1).max(64)).min(1).max(8).optional(),
    /** buttons: the actions that raise an emergency (default: sos, emergency, panic, single, double, hold, long, press) */
    emergencyActions: z.array(z.string().min(1).max(64)).min(1).max(32).optional(),
    /** silence longer than this makes the device offline (default per kind) */
    supervision: duration.optional(),
  })
  .strict();

/** no learned threshold is under an hour (the tails are fitted past u = 60 min): the smallest `min` that means something */
export const LEARNED_FLOOR_MS = 60 * 60_000;

/** `{ after: 12h }` without a mode is the fixed rule it reads as */
const fixedUnlessSaid = (value: unknown) => (value && typeof value === 'object' && !Array.isArray(value) && !('mode' in value) && 'after' in value
  ? { mode: 'fixed', ...value } : value);

const inactivity = z.preprocess(fixedUnlessSaid, z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('fixed'), after: duration, activeHours: hours.default({ start: 0, end: 1440, text: '00:00-24:00' }) }).strict()
    .superRefine((rule, ctx) => {
      // the rule counts only time inside activeHours: a window that is small beside `after` would
      // take weeks of silence to fire, which protects nobody
      const perDay = rule.activeHours.end > rule.activeHours.start ? rule.activeHours.end - rule.activeHours.start : 1440 - rule.activeHours.start + rule.activeHours.end;
      const days = rule.after / 60_000 / perDay;
      if (days > 7) {
        ctx.addIssue({
          code: 'custom', path: ['after'],
          message: `counts only time inside activeHours (${rule.activeHours.text}, ${perDay} min a day), so it would fire after ${Math.ceil(days)} days of silence; widen activeHours or shorten after`,
        });
      }
    }),
  z
    .object({
      mode: z.literal('learned'),
      after: duration.optional(),
      activeHours: hours.optional(),
      min: duration.optional(),
      max: duration.optional(),
      learningDays: z.number().int().positive().optional(),
    })
    .strict()
    .superRefine((rule, ctx) => {
      // the learned tails are fitted to silences past an hour, so no learned threshold is under an
      // hour: a smaller floor would silently do nothing (docs/detection.md); say so at start
      if (rule.min !== undefined && rule.min < LEARNED_FLOOR_MS) {
        ctx.addIssue({
          code: 'custom', path: ['min'],
          message: 'the shortest silence learned mode alarms on cannot be under an hour: it learns from silences past an hour, so a smaller min would do nothing; set min to 1h or more, or use mode: fixed for a shorter rule',
        });
      }
      if (rule.max !== undefined && rule.max < (rule.min ?? LEARNED_FLOOR_MS)) {
        ctx.addIssue({
          code: 'custom', path: ['max'],
          message: `the longest silence learned mode waits (max) is shorter than the shortest it alarms on (min${rule.min === undefined ? ', 1h by default' : ''}); set max to min or more`,
        });
      }
    }),
], { error: 'mode must be fixed or learned' }));

const resident = z
  .object({
    id: slug,
    name: z.string().min(1),
    address: z.string().default(''),
    timezone: timezone.optional(),
    locale: z.enum(['en', 'zh-CN']).default('en'),
    /** community / building, for grouping, rounds and warnings by area */
    area: z.string().min(1).max(100).optional(),
    birthday: dateValue.optional(),
    visitCycle: duration.optional(),
    rules: z
      .object({
        inactivity: inactivity.optional(),
        nightDoor: z.object({ hours, after: duration }).strict().optional(),
        offline: z.object({ after: duration }).strict().optional(),
      })
      .strict()
      .default({}),
    contacts: z.array(contact).default([]),
    devices: z.array(device).default([]),
  })
  .strict();

export const configSchema = z
  .object({
    mqtt: mqtt.default({ host: '0.0.0.0', port: 1883, bridges: [] }),
    http: http.default({ host: '0.0.0.0', port: 8080, publicMetrics: false }),
    site: site.default({ name: 'site', timezone: 'UTC', holidays: [], workdays: [], calendar: 'cn' }),
    storage: storage.default({ path: DEFAULT_DB_PATH, sync: 'normal' }),
    sms: sms.default({}),
    twilio: twilio.optional(),
    api: api.default({ tokens: [] }),
    serial: z.array(serialPort).default([]),
    escalation: escalation.prefault({}),
    residents: z.array(resident).default([]),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ResidentConfig = Config['residents'][number];
export type DeviceConfig = ResidentConfig['devices'][number];
export type ContactConfig = ResidentConfig['contacts'][number];
export type EscalationStep = z.infer<typeof escalationStep>;
export type SerialConfig = Config['serial'][number];
export type InactivityConfig = z.infer<typeof inactivity>;
