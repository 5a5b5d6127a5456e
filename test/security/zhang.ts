// The resident the date and visit tests share: Zhang in Shanghai with inactivity and night-door
// rules (the alarms a visit may suppress), a neighbour, a door; and a caseworker's JSON POST sent
// as raw HTTP, so that any target or body reaches the server as written.
import { startGateway, CASEWORKER_TOKEN, type TestGateway } from '../helpers.ts';
import { rawHttp } from './net.ts';

export const HOUR = 3_600_000;
export const iso = (ms: number) => new Date(ms).toISOString();

export function startZhang(): Promise<TestGateway> {
  return startGateway({
    residents: [{
      id: 'r-zhang', name: 'Zhang Xiuying', timezone: 'Asia/Shanghai',
      rules: { inactivity: { mode: 'fixed', after: '12h' }, nightDoor: { hours: '22:00-06:00', after: '10m' } },
      contacts: [{ name: 'Wang Neighbor', phone: '+8613800000001', role: 'neighbor' }],
      devices: [{ id: 'zhang-door', kind: 'door', secret: 'door-secret' }],
    }],
  });
}

export const auth = { authorization: `Bearer ${CASEWORKER_TOKEN}`, 'content-type': 'application/json' };
export const caseworkerPost = (gw: TestGateway, target: string, body: unknown) =>
  rawHttp(gw.app.httpPort(), { method: 'POST', target, headers: auth, body: JSON.stringify(body) });
