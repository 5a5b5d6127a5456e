// The rules config is built in one place for live and replay: the same devices in give the same
// specs out, whichever source they come from (the config file's or the store's shape).
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { replayConfigFor } from '../../src/replay-config.ts';
import { rulesConfigFor } from '../../src/rules/index.ts';

describe('rulesConfigFor', () => {
  it('only a door can be inner; room, supervision and emergency actions carry over, absent ones stay absent', () => {
    const cfg = rulesConfigFor({ id: 'r1', timezone: 'Asia/Shanghai', rules: {} }, [
      { id: 'front', kind: 'door', entrance: null },
      { id: 'fridge', kind: 'door', entrance: false, room: 'kitchen' },
      { id: 'pir', kind: 'motion', entrance: false, supervisionMs: null },
      { id: 'btn', kind: 'button', entrance: true, supervisionMs: 3_600_000, emergencyActions: ['hold'] },
    ]);
    expect(cfg).toEqual({
      residentId: 'r1', timezone: 'Asia/Shanghai', rules: {},
      devices: [
        { id: 'front', kind: 'door', entrance: true, supervisionMs: undefined },
        { id: 'fridge', kind: 'door', entrance: false, supervisionMs: undefined, room: 'kitchen' },
        { id: 'pir', kind: 'motion', entrance: true, supervisionMs: undefined },
        { id: 'btn', kind: 'button', entrance: true, supervisionMs: 3_600_000, emergencyActions: ['hold'] },
      ],
    });
  });

  it('replay reads the config file into the same specs the store rows give the live runtime', () => {
    const config = parseConfig({
      site: { timezone: 'Europe/Berlin' },
      residents: [{
        id: 'r-zhang', name: 'Zhang', rules: { inactivity: { mode: 'fixed', after: '4h' } },
        devices: [
          { id: 'door', kind: 'door', secret: 's1' },
          { id: 'fridge', kind: 'door', entrance: false, room: 'kitchen', secret: 's2' },
          { id: 'btn', kind: 'button', supervision: '2h', emergencyActions: ['hold'], secret: 's3' },
        ],
      }],
    });
    const resident = config.residents[0];
    const fromFile = replayConfigFor(resident, config.site.timezone);
    // the store's rows: entrance as a boolean for every kind, nulls for what is not set
    const rows = [
      { id: 'door', kind: 'door' as const, entrance: true, supervisionMs: null, room: null, emergencyActions: null },
      { id: 'fridge', kind: 'door' as const, entrance: false, supervisionMs: null, room: 'kitchen' as const, emergencyActions: null },
      { id: 'btn', kind: 'button' as const, entrance: true, supervisionMs: 7_200_000, room: null, emergencyActions: ['hold'] },
    ];
    expect(rulesConfigFor({ id: resident.id, timezone: 'Europe/Berlin', rules: resident.rules }, rows)).toEqual(fromFile);
    expect(fromFile.timezone).toBe('Europe/Berlin');
  });
});
