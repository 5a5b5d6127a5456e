// What each receiver protocol says about a line: a packet (and the keys that may name its
// device), or a reason it carries none. The supervised port and the ingest queue are the
// same for every protocol; this is the part that differs.
import type { SerialConfig } from '../../config/schema.ts';
import type { DeviceKind, Readings } from '../../domain/types.ts';
import { DEFAULT_ID_FIELDS, jsonlKey, jsonlToReadings, parseJsonlLine } from './jsonl.ts';
import { parseRflinkLine, rflinkKeys, rflinkToReadings } from './rflink.ts';

/** One way a packet may name its device, tried in order. */
export interface Candidate {
  key: string;
  /** jsonl: the fields the key was made of (a device is found only by its own idFields) */
  idFields?: readonly string[];
  readings(kind: DeviceKind): Readings | null;
}

export type LineOutcome =
  | { ignored: string }
  /** `unknownKey`: what to tell whoever configures the home when no candidate is known */
  | { candidates: Candidate[]; unknownKey: string | undefined };

export interface Protocol {
  readonly name: 'rflink' | 'jsonl';
  /** written every ping interval; a receiver that answers is alive */
  readonly ping?: string;
  /** whether a silent receiver is an outage (rtl_433 prints only when it hears something) */
  readonly liveness: boolean;
  read(line: string): LineOutcome;
}

export function protocolFor(config: SerialConfig, idFieldSets?: () => Array<readonly string[]>): Protocol {
  if (config.protocol === 'rflink') return rflink;
  // each device may say which fields name it (a Generic-Motion has only a code); the port's
  // idFields (default model and id) are tried last
  const portFields = config.idFields ?? DEFAULT_ID_FIELDS;
  return {
    name: 'jsonl',
    liveness: config.pingInterval !== undefined,
    read(line) {
      const result = parseJsonlLine(line);
      if ('ignored' in result) return result;
      const candidates: Candidate[] = [];
      for (const fields of [...(idFieldSets?.() ?? []), portFields]) {
        const key = jsonlKey(result.message, fields);
        if (key === undefined) continue;
        candidates.push({ key, idFields: fields, readings: (kind) => jsonlToReadings(result.message, kind) });
      }
      return { candidates, unknownKey: jsonlKey(result.message, portFields) ?? candidates[0]?.key };
    },
  };
}

const rflink: Protocol = {
  name: 'rflink',
  ping: '10;PING;\r\n',
  liveness: true,
  read(line) {
    const result = parseRflinkLine(line);
    if ('ignored' in result) return result;
    const keys = rflinkKeys(result);
    return {
      candidates: keys.map((key) => ({ key, readings: (kind: DeviceKind) => rflinkToReadings(result, kind) })),
      unknownKey: keys[0],
    };
  },
};
