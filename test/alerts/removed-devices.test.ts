// The alerts module closes what a removed device left open: its own unresolved alerts, resolved
// by the system with a casefile entry, the rules told; alerts of no device are left alone.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.ts';
import { openSqliteStore, type SqliteStore } from '../../src/store/index.ts';
import { residentRepository } from '../../src/store/residents.ts';
import { timelineRepository } from '../../src/store/timeline.ts';
import { EventBus } from '../../src/bus.ts';
import { AlertService } from '../../src/alerts/index.ts';
import { firstStepDue } from '../../src/notify/index.ts';
import { Metrics } from '../../src/metrics.ts';
import { createLogger } from '../../src/log.ts';
import { baseConfig } from '../helpers.ts';

let store: SqliteStore | undefined;
let dir: string | undefined;
afterEach(async () => {
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  store = dir = undefined;
});

describe('AlertService.closeOfRemovedDevices', () => {
  it('resolves the open alerts of devices that no longer exist, once, and nothing else', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-removed-'));
    const config = parseConfig(baseConfig(dir), {});
    store = openSqliteStore(config.storage);
    residentRepository(store.db).seedFromConfig(config.residents, config.site.timezone, 0);
    const log = createLogger({ level: 'silent' });
    const bus = new EventBus(log);
    const service = new AlertService({ store, firstStepDue: (kind, at) => firstStepDue(config.escalation, kind, at), log, metrics: new Metrics(), bus });
    const told: string[] = [];
    bus.on('personAction', told, (residentId, action, key) => told.push(`${residentId} ${action} ${key}`));
    const t0 = Date.parse('2026-11-02T00:00:00Z');
    await store.tx((tx) => service.apply(tx, 'r-zhang', [
      { type: 'open', key: 'smoke:zhang-smoke', kind: 'smoke', deviceId: 'zhang-smoke', detail: { smoke: true } },
      { type: 'open', key: 'battery_low:zhang-door', kind: 'battery_low', deviceId: 'zhang-door', detail: { battery: 5 } },
      { type: 'open', key: 'inactivity', kind: 'inactivity', detail: {} },
      { type: 'open', key: 'receiver_offline:/dev/ttyUSB0', kind: 'device_offline', detail: { receiver: '/dev/ttyUSB0', reason: 'unplugged' } },
    ], t0));
    const removed = new Set(['zhang-smoke']);
    const at = t0 + 60_000;
    expect(await service.closeOfRemovedDevices((id) => !removed.has(id), at)).toBe(1);
    const rows = await store.alerts.unresolved();
    expect(rows.map((a) => a.conditionKey).sort()).toEqual(['battery_low:zhang-door', 'inactivity', 'receiver_offline:/dev/ttyUSB0']);
    const smoke = (await store.alerts.list('resolved'))[0];
    expect(smoke).toMatchObject({ conditionKey: 'smoke:zhang-smoke', resolvedBy: 'system', resolvedAt: at });
    const entry = timelineRepository(store.db).page('r-zhang', { limit: 20, types: ['alert_resolved'] }).items;
    expect(entry).toEqual([expect.objectContaining({ alertId: smoke.id, reason: 'device removed', by: 'system' })]);
    expect(told).toEqual(['r-zhang resolved smoke:zhang-smoke']);
    // nothing more to close: a second call is a no-op
    expect(await service.closeOfRemovedDevices((id) => !removed.has(id), at + 1)).toBe(0);
  });
});
