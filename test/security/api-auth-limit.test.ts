// Guessing API tokens (or Twilio signatures) from one address: past the limit the address gets
// 429 before its credentials are looked at, so a right guess is not recognised either.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startGateway, CASEWORKER_TOKEN, type TestGateway } from '../helpers.ts';
import { rawHttp } from './net.ts';

let gw: TestGateway;
beforeAll(async () => { gw = await startGateway(); });
afterAll(async () => { await gw?.stop(); });

describe('failed API authentication', () => {
  it('is rate limited per address: past the limit even a right token gets 429; other addresses are not', async () => {
    const port = gw.app.httpPort();
    const from = '127.0.3.1';
    const codes: number[] = [];
    for (let i = 0; i < 25; i++) codes.push((await rawHttp(port, { target: '/api/residents', headers: { authorization: `Bearer guess-${i}-xxxxxxxx` }, localAddress: from })).status);
    expect(codes.slice(0, 5).every((c) => c === 401)).toBe(true);
    expect(codes.at(-1)).toBe(429);
    const right = await rawHttp(port, { target: '/api/residents', headers: { authorization: `Bearer ${CASEWORKER_TOKEN}` }, localAddress: from });
    expect(right.status).toBe(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    expect((await rawHttp(port, { target: '/api/residents', headers: { authorization: `Bearer ${CASEWORKER_TOKEN}` }, localAddress: '127.0.3.2' })).status).toBe(200);
  });

  it('forged Twilio signatures count as failed authentication too', async () => {
    const port = gw.app.httpPort();
    const from = '127.0.3.3';
    const codes: number[] = [];
    for (let i = 0; i < 25; i++) {
      codes.push((await rawHttp(port, { method: 'POST', target: '/twilio/sms', body: 'From=%2B8613800000001&Body=1', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': `forged${i}` }, localAddress: from })).status);
    }
    expect(codes[0]).toBe(403);
    expect(codes.at(-1)).toBe(429);
  });
});
