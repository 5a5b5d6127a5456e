// RFLink line format (CONTRACT.md "Serial (RFLink)"; the RFLink protocol reference):
//   20;<counter hex>;<Name>;ID=<id>;LABEL=value;...;
// Pure functions only: no I/O, no clock. The receiver feeds lines in, the config says what
// kind of device an id is, and these turn a line into our device dialect (Readings).
import type { DeviceKind, Readings } from '../../domain/types.ts';

/** One packet heard from a radio device. */
export interface RflinkPacket {
  /** the receiver's packet counter (00-FF); wraps, so never used for identity */
  counter: string;
  /** protocol / device name as printed, e.g. `NewKaku`, `FA20RF`, `X10` */
  name: string;
  /** device id as printed (hex, case kept) */
  id: string;
  /** SWITCH= as printed: house/unit code or button number, when the protocol has one */
  switch?: string;
  /** every LABEL=value of the line (label upper-cased), ID and SWITCH included */
  labels: Record<string, string>;
}

/** Lines that are not a device packet, by why. Each is counted and otherwise ignored. */
export type RflinkIgnoreReason =
  | 'empty'
  | 'banner' // boot banner: `20;00;Nodo RadioFrequencyLink - RFLink Gateway V1.1 - R48;`
  | 'pong' // answer to our `10;PING;`
  | 'ok' // command accepted
  | 'error' // `20;..;CMD UNKNOWN;`
  | 'status' // settings and version answers: `20;..;VER=1.1;REV=48;BUILD=07;`, `20;..;STATUS;...`
  | 'debug' // RFDEBUG pulse dumps
  | 'command' // a `10;` or `11;` line: something echoing commands back at us
  | 'too_long'
  | 'garbage';

export type RflinkParseResult = RflinkPacket | { ignored: RflinkIgnoreReason };

/**
 * No real RFLink packet comes near this; pulse dumps can (they are ignored either way).
 * A bound keeps a noisy line from costing more than it is worth.
 */
export const MAX_RFLINK_LINE = 1024;

const PREFIX_RE = /^20;([0-9A-Fa-f]{2});/;
// printable ASCII only: anything else is line noise, a wrong baud rate or binary junk
const PRINTABLE_RE = /^[\x20-\x7e]*$/;
const LABEL_RE = /^[A-Za-z0-9_]+$/;

export function parseRflinkLine(raw: string): RflinkParseResult {
  const line = raw.replace(/\r$/, '').trim();
  if (line === '') return { ignored: 'empty' };
  if (line.length > MAX_RFLINK_LINE) return { ignored: 'too_long' };
  if (!PRINTABLE_RE.test(line)) return { ignored: 'garbage' };
  if (/^1[01];/.test(line)) return { ignored: 'command' };

  const prefix = PREFIX_RE.exec(line);
  if (!prefix) return { ignored: 'garbage' };
  const counter = prefix[1];
  const fields = line.slice(prefix[0].length).split(';');
  // lines end with ';', which leaves one empty field
  if (fields.length > 0 && fields[fields.length - 1].trim() === '') fields.pop();
  if (fields.length === 0) return { ignored: 'garbage' };

  const name = fields[0].trim();
  const upperName = name.toUpperCase();
  if (upperName === 'PONG') return { ignored: 'pong' };
  if (upperName === 'OK') return { ignored: 'ok' };
  if (upperName === 'CMD UNKNOWN') return { ignored: 'error' };
  if (upperName === 'DEBUG') return { ignored: 'debug' };
  if (/RFLink|Nodo RadioFrequency/i.test(name)) return { ignored: 'banner' };
  // `20;02;setGPIO=ON;`, `20;08;VER=1.1;REV=48;BUILD=07;`, `20;B5;STATUS;setRF433=ON;...`
  if (name === '' || name.includes('=') || upperName === 'STATUS') return { ignored: 'status' };

  const labels: Record<string, string> = {};
  for (const field of fields.slice(1)) {
    const eq = field.indexOf('=');
    // some firmwares append bare words (e.g. `Nano;`); they carry nothing we read
    if (eq <= 0) continue;
    const label = field.slice(0, eq).trim();
    if (!LABEL_RE.test(label)) return { ignored: 'garbage' };
    // split on the first '=' only: `CMD=SET_LEVEL=14` is a CMD whose value is `SET_LEVEL=14`
    labels[label.toUpperCase()] = field.slice(eq + 1).trim();
  }
  const id = labels.ID;
  // every device packet names its device; a line without one is a gateway answer
  if (id === undefined) return { ignored: 'status' };
  if (id === '') return { ignored: 'garbage' };

  const packet: RflinkPacket = { counter, name, id, labels };
  if (labels.SWITCH !== undefined && labels.SWITCH !== '') packet.switch = labels.SWITCH;
  return packet;
}

/**
 * The device keys to look a packet up by, most specific first (CONTRACT.md: a device's
 * `rflink` key is `<Name>;ID=<id>` with `;SWITCH=<n>` where the switch matters).
 * Keys are as printed by the receiver: `SWITCH=01` and `SWITCH=1` are different keys.
 */
export function rflinkKeys(packet: RflinkPacket): string[] {
  const plain = `${packet.name};ID=${packet.id}`;
  return packet.switch === undefined ? [plain] : [`${plain};SWITCH=${packet.switch}`, plain];
}

const CMD_ON = new Set(['ON', 'ALLON', 'OPEN']);
const CMD_OFF = new Set(['OFF', 'ALLOFF', 'CLOSE', 'CLOSED']);

function onOff(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.toUpperCase();
  if (CMD_ON.has(v)) return true;
  if (CMD_OFF.has(v)) return false;
  return undefined;
}

/**
 * Turn a packet into our device dialect for a device of the given configured kind.
 *
 * Labels that say what they are map the same for every kind:
 *   SMOKEALERT=ON/OFF -> smoke true/false; PIR=ON/OFF -> occupancy true/false;
 *   BAT=LOW/OK -> battery_low true/false;
 *   CHIME=<melody> (a doorbell) -> occupancy: true: a ring is activity at home, never an
 *   emergency and never a door opening (it must not start a night-door alert), whatever the
 *   doorbell was configured as ("a doorbell is activity").
 * A bare switch command (CMD=..., what cheap EV1527 / X10 / Kaku sensors send) means what
 * the configured kind says, because the radio frame does not tell a PIR from a door contact:
 *   smoke:  CMD=ON/ALLON -> smoke: true; CMD=OFF/ALLOFF -> smoke: false (co, gas, water:
 *           carbon_monoxide, gas, water_leak the same way).
 *   motion, presence: CMD=ON -> occupancy: true; CMD=OFF -> occupancy: false.
 *   door:   CMD=ON/ALLON/OPEN -> contact: false (open); CMD=OFF/ALLOFF/CLOSE -> contact: true.
 *           Receiver and device specific: KAKU/NewKaku contacts send ON when opened and OFF
 *           when closed; Chuango and other EV1527 contacts (reported by RFLink as
 *           `X10`/`Chuango` with CMD=ON) send only ON, when opened, and never a close.
 *   button: any CMD (ON, OFF, ALLON, a dim level...) -> action: 'sos'. A `button` is the
 *           resident's emergency button, so every press of it is an emergency press; a
 *           remote with other buttons is configured with `;SWITCH=<n>` for the SOS one.
 * Returns null when the packet says nothing we model (e.g. a temperature-only line).
 */
export function rflinkToReadings(packet: RflinkPacket, kind: DeviceKind): Readings | null {
  const { labels } = packet;
  const readings: Readings = {};

  const smoke = onOff(labels.SMOKEALERT);
  if (smoke !== undefined) readings.smoke = smoke;
  const pir = onOff(labels.PIR);
  if (pir !== undefined) readings.occupancy = pir;
  const bat = labels.BAT?.toUpperCase();
  if (bat === 'LOW') readings.battery_low = true;
  else if (bat === 'OK') readings.battery_low = false;

  if (labels.CHIME !== undefined) {
    // a doorbell's CMD (SilvercrestDB sends `CMD=ON;CHIME=01;`) is part of the ring
    readings.occupancy = true;
  } else if (labels.CMD !== undefined && labels.CMD !== '') {
    const cmd = onOff(labels.CMD);
    switch (kind) {
      case 'smoke':
        if (cmd !== undefined && readings.smoke === undefined) readings.smoke = cmd;
        break;
      case 'co':
        if (cmd !== undefined) readings.carbon_monoxide = cmd;
        break;
      case 'gas':
        if (cmd !== undefined) readings.gas = cmd;
        break;
      case 'water':
        if (cmd !== undefined) readings.water_leak = cmd;
        break;
      case 'motion':
      case 'presence':
        if (cmd !== undefined && readings.occupancy === undefined) readings.occupancy = cmd;
        break;
      case 'door':
        if (cmd !== undefined) readings.contact = !cmd;
        break;
      case 'button':
        readings.action = 'sos';
        break;
    }
  }
  return Object.keys(readings).length > 0 ? readings : null;
}
