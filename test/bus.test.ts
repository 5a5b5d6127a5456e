// The event bus, and the gateway's use of it: every part hears what it listens for while it runs,
// and nothing after its stop.
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../src/bus.ts';
import { createLogger } from '../src/log.ts';
import { LogCapture, startGateway, waitFor, type TestGateway } from './helpers.ts';

describe('EventBus', () => {
  it('tells listeners in the order they came, each owner removed on its own', () => {
    const bus = new EventBus(createLogger({ level: 'silent' }));
    const heard: string[] = [];
    const a = {}; const b = {};
    bus.on('problemChanged', a, (r, p) => heard.push(`a ${r} ${p}`));
    bus.on('problemChanged', b, (r, p) => heard.push(`b ${r} ${p}`));
    bus.on('alertUnanswered', a, (id) => heard.push(`a unanswered ${id}`));
    bus.emit('problemChanged', 'r1', 'p1');
    bus.emit('alertUnanswered', 7);
    expect(heard).toEqual(['a r1 p1', 'b r1 p1', 'a unanswered 7']);
    bus.removeListeners(a);
    heard.length = 0;
    bus.emit('problemChanged', 'r2', 'p2');
    bus.emit('alertUnanswered', 8);
    expect(heard).toEqual(['b r2 p2']);
    expect(bus.listenerCount()).toBe(1);
    bus.removeListeners(b);
    expect(bus.listenerCount()).toBe(0);
  });

  it('a listener that throws is logged and the others still hear the event', () => {
    const logs = new LogCapture();
    const bus = new EventBus(createLogger({ level: 'debug', destination: logs }));
    const heard: number[] = [];
    bus.on('alertUnanswered', {}, () => { throw new Error('broken listener'); });
    bus.on('alertUnanswered', {}, (id) => heard.push(id));
    bus.emit('alertUnanswered', 3);
    expect(heard).toEqual([3]);
    expect(logs.lines.map((l) => JSON.parse(l) as { msg: string; event?: string }).some((l) => l.msg === 'event listener failed' && l.event === 'alertUnanswered')).toBe(true);
  });

  it('a listener added while an event is told hears the next one, not this one', () => {
    const bus = new EventBus(createLogger({ level: 'silent' }));
    const heard: string[] = [];
    bus.on('alertUnanswered', {}, () => { bus.on('alertUnanswered', {}, (id) => heard.push(`late ${id}`)); });
    bus.emit('alertUnanswered', 1);
    expect(heard).toEqual([]);
    bus.emit('alertUnanswered', 2);
    expect(heard).toEqual(['late 2']);
  });
});

describe('the gateway on its bus', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => { await gw?.stop(); gw = undefined; });

  it('a committed smoke report reaches the rules, the notifier and the page through the bus, and a stopped gateway leaves no listener', async () => {
    gw = await startGateway();
    const { app } = gw;
    for (const name of ['deviceEvent', 'alertOpened', 'alertAcknowledged', 'alertResolved', 'alertUpdated', 'alertUnanswered', 'personAction',
      'storeHealth', 'receiver', 'deviceChanged', 'residentChanged', 'visitRecorded', 'problemChanged'] as const) {
      expect(app.bus.listenerCount(name), name).toBeGreaterThan(0);
    }
    const opened: number[] = [];
    app.bus.on('alertOpened', opened, (alert) => opened.push(alert.id));
    const client = await gw.connect('zhang-smoke', 'smoke-secret');
    await client.publishAsync('devices/zhang-smoke', '{"smoke":true}', { qos: 1 });
    await waitFor(() => opened.length, 5000, 'the smoke alert told on the bus');
    // the notifier heard it too: the first step's texts are in the outbox
    await waitFor(async () => (await app.store.outbox.ofAlert(opened[0])).length, 5000, 'the notifier queued the first step');
    app.bus.removeListeners(opened);
    await gw.stop();
    gw = undefined;
    expect(app.bus.listenerCount()).toBe(0);
  });
});
