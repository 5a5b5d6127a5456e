// Admission to the store for decoded device events. Under a flood, every report the broker read
// in one turn of the event loop would otherwise join one group commit, and be judged by the rules
// and answered in that same turn: with 800 reports in flight one turn took over 100 ms, and a
// smoke alarm read in it waited for all of them. Here routine reports go to the store at most
// `routineInFlight` at a time; the rest wait, decoded, in one queue per device, released in turn
// (a device that sends a thousand reports at once cannot make the others wait behind all of
// them). A life-safety report (smoke, CO, gas, an emergency button: decided by the decoded
// event, whatever the client) goes to the store at once, so it joins the next, small group.
//
// Nothing is dropped: a waiting report is committed before its PUBACK like any other, only later.
// What waits is bounded by the broker: aedes reads a client's socket again only once everything it
// read before has been answered, so a client has at most one socket read's worth of reports here,
// and a client that never reads its PUBACKs stops being read at all (its PUBACK writes wait for
// the socket to drain).
import type { DeviceEvent } from '../domain/types.ts';
import type { AppendDone, MqttOrigin } from '../store/index.ts';
import type { Metrics } from '../metrics.ts';
import { isLifeSafety } from '../rules/index.ts';

/** routine reports at the store at once, by default: a group commit and its rules turn stay a few milliseconds */
export const ROUTINE_IN_FLIGHT = 256;
/**
 * a waiting device's reports released together before the next device's turn: a client's whole
 * read (a device keeping 16 in flight) is answered at once, so it sends its next ones while the
 * others are committed, rather than every client waiting until all are half answered
 */
export const TURN = 32;

type Append = (event: DeviceEvent, origin?: MqttOrigin) => Promise<number>;
/** the store's append, callback-style: `done` after the commit, with the id or the error */
export type AppendThen = (event: DeviceEvent, origin: MqttOrigin | undefined, done: AppendDone) => void;

/**
 * The store as the admission takes it: the callback form where the engine has one (SQLite answers
 * from its group commit, no promise a message), else its promise form through an adapter
 * (PostgreSQL, whose commit is a round trip anyway).
 */
export interface AdmissionStore {
  append: Append;
  appendThen?: AppendThen;
}

/** the promise form answered as a callback; a throwing answer is not taken for a failed commit */
export function callbackOf(append: Append): AppendThen {
  return (event, origin, done) => {
    append(event, origin).then((id) => done(null, id), (err: Error) => done(err));
  };
}

interface Waiting {
  event: DeviceEvent;
  origin: MqttOrigin | undefined;
  done: AppendDone;
}

export interface AdmissionOptions {
  /** routine reports handed to the store and not yet committed, at most; 0 or Infinity: no bound */
  routineInFlight?: number;
}

export function createAdmission(store: AdmissionStore, metrics: Metrics, options: AdmissionOptions = {}) {
  const appendThen = store.appendThen ?? callbackOf(store.append);
  const limit = options.routineInFlight === undefined ? ROUTINE_IN_FLIGHT
    : options.routineInFlight > 0 ? options.routineInFlight : Infinity;
  /** waiting reports by device; a Map keeps insertion order, so taking the first and putting it back last is a round */
  const waiting = new Map<string, Waiting[]>();
  let queued = 0;
  let inFlight = 0;
  const stats = { waited: 0, mostQueued: 0, urgent: 0 };

  metrics.describe('gateway_ingest_waiting', 'Decoded routine device reports waiting for their turn at the store (bounded by what the broker reads)');
  metrics.gauge('gateway_ingest_waiting', () => queued);
  metrics.describe('gateway_ingest_devices_waiting', 'Devices with reports held back at the store: slowed, not dropped');
  metrics.gauge('gateway_ingest_devices_waiting', () => waiting.size);
  metrics.describe('gateway_ingest_held_total', 'Routine device reports that waited for their turn at the store');

  // released once a group's answers have all run (called one after the other by one commit, or
  // microtasks of one commit on the promise path), so the room a commit made is shared out in
  // turns, not a slot at a time to whoever is first
  let releasing = false;
  const releaseNow = () => { releasing = false; release(); };
  const settled = () => {
    inFlight--;
    if (queued && !releasing) {
      releasing = true;
      queueMicrotask(releaseNow);
    }
  };

  function send(event: DeviceEvent, origin: MqttOrigin | undefined, done: AppendDone): void {
    inFlight++;
    let answered = false;
    const answer: AppendDone = (err, id) => {
      if (answered) return;
      answered = true;
      settled();
      done(err, id);
    };
    try {
      appendThen(event, origin, answer);
    } catch (err) {
      // an answer that threw is the answer's own error, not the store's
      if (answered) throw err;
      // the store refused it at once (before any commit): answered like a failed commit
      answer(err as Error);
    }
  }

  function forward(w: Waiting): void {
    send(w.event, w.origin, w.done);
  }

  /** up to TURN reports of each waiting device in turn, while there is room */
  function release(): void {
    while (queued && inFlight < limit) {
      const [deviceId, list] = waiting.entries().next().value as [string, Waiting[]];
      waiting.delete(deviceId);
      const n = Math.min(list.length, TURN, limit - inFlight);
      queued -= n;
      for (const w of list.splice(0, n)) forward(w);
      if (list.length) waiting.set(deviceId, list);
    }
  }

  function hold(event: DeviceEvent, origin: MqttOrigin | undefined, done: AppendDone): void {
    let list = waiting.get(event.deviceId);
    if (!list) waiting.set(event.deviceId, list = []);
    list.push({ event, origin, done });
    queued++;
    stats.waited++;
    if (queued > stats.mostQueued) stats.mostQueued = queued;
    metrics.inc('gateway_ingest_held_total');
  }

  /** `done` after the commit, with the stored id (negative: a resend of that event) or the error */
  function appendThenAdmitted(event: DeviceEvent, origin: MqttOrigin | undefined, done: AppendDone): void {
    if (isLifeSafety(event)) {
      stats.urgent++;
      // the device's own earlier reports go first, so the store and the rules see its reports
      // in the order it sent them (a "clear" must never land after the alarm that followed it)
      const earlier = waiting.get(event.deviceId);
      if (earlier) {
        waiting.delete(event.deviceId);
        queued -= earlier.length;
        for (const w of earlier) forward(w);
      }
      return send(event, origin, done);
    }
    if (inFlight < limit && !queued) return send(event, origin, done);
    hold(event, origin, done);
  }

  return {
    appendThen: appendThenAdmitted,
    /** resolves with the stored id after the commit, like the store's own append */
    append(event: DeviceEvent, origin?: MqttOrigin): Promise<number> {
      return new Promise((resolve, reject) => {
        appendThenAdmitted(event, origin, (err, id) => (err ? reject(err) : resolve(id!)));
      });
    },
    /** reports that had to wait, the most waiting at once, life-safety reports sent straight on */
    stats: () => ({ ...stats, queued, inFlight, devicesWaiting: waiting.size }),
  };
}
export type Admission = ReturnType<typeof createAdmission>;
