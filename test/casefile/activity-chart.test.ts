// One definition of activity (issue 15): the casefile's chart and visit planning count what the
// rules core counts. A door counts only when its state changes, so a contact sensor's hourly
// check-in repeating "closed" is no sign of life on the chart, while the door opening is.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startWorkspace, type Workspace } from './setup.ts';

const NOW = Date.parse('2026-03-31T12:00:00Z');
const H = 3_600_000;
let ws: Workspace;

beforeAll(async () => {
  ws = await startWorkspace({
    site: { timezone: 'Asia/Shanghai', holidays: [] },
    residents: [{ id: 'r-zhang', name: 'Zhang Xiuying', devices: [{ id: 'zhang-door', kind: 'door', secret: 'door-secret' }] }],
  }, NOW);
});
afterAll(async () => { await ws?.stop(); });

const door = (at: number, contact: boolean) => ws.gw.app.store.ingest.append({
  at, deviceId: 'zhang-door', residentId: 'r-zhang', kind: 'door', source: 'mqtt', type: 'state', readings: { contact, battery: 90 },
});

describe('activity on the casefile chart', () => {
  it('an hourly unchanged contact report is not activity; a door opening (and its closing) is', async () => {
    // twelve hourly check-ins, all "closed"
    for (let i = 12; i >= 1; i--) await door(NOW - i * H - 30 * 60_000, true);
    const quiet = await ws.call('GET', '/api/residents/r-zhang/activity?days=1');
    expect(quiet.status).toBe(200);
    expect(quiet.body.total).toBe(0);
    // the door opens and closes at 19:10 Shanghai time (11:10 UTC), then checks in "closed" again
    await door(NOW - 50 * 60_000, false);
    await door(NOW - 49 * 60_000, true);
    await door(NOW - 10 * 60_000, true);
    const opened = await ws.call('GET', '/api/residents/r-zhang/activity?days=1');
    expect(opened.body.total).toBe(2);
    expect(opened.body.hours[19]).toBe(2);
  });
});
