// The look-up behind exactly-once texts: TwilioSender.findSms reads Twilio's Messages
// list through the real twilio package (paged, filtered by To and From) and finds a text by its
// body and creation time, skipping texts another outbox row already owns.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FakeTwilio } from '../notify/fake-twilio.ts';
import { TwilioSender } from '../../src/notify/index.ts';

const ACCOUNT_SID = 'AC' + '10c0'.repeat(8);
const FROM = '+15005550006';
const PHONE = '+8613920000001';
const BODY = 'EMERGENCY: Resident 1 pressed the emergency button. Reply 1 if you are going.';

let fake: FakeTwilio;
let sender: TwilioSender;
beforeEach(async () => {
  fake = await new FakeTwilio().start();
  sender = new TwilioSender({ accountSid: ACCOUNT_SID, authToken: 'lookup-auth-token', from: FROM, apiBaseUrl: fake.url });
});
afterEach(async () => { await fake.stop(); });

const none = () => false;

it('finds a text several pages down the list, and only one this row may own', async () => {
  const since = Date.now() - 1000;
  const mine = await sender.sendSms(PHONE, BODY);
  // newer texts to the same number push it to the third page of 50
  for (let i = 0; i < 110; i++) await sender.sendSms(PHONE, `another text ${i}`);
  await sender.sendSms('+8613920000002', BODY); // the same words to somebody else
  expect(await sender.findSms({ to: PHONE, body: BODY, since, taken: none })).toEqual({ id: mine.id });
  const pages = fake.listRequests;
  expect(pages).toHaveLength(3);
  expect(pages[0].path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);

  // the same text already recorded for another row is not this row's
  expect(await sender.findSms({ to: PHONE, body: BODY, since, taken: (id) => id === mine.id })).toBeNull();
  // a text from before the row existed (beyond the clock slack) is not this row's either
  expect(await sender.findSms({ to: PHONE, body: BODY, since: Date.now() + 5 * 60_000, taken: none })).toBeNull();
  expect(await sender.findSms({ to: PHONE, body: 'words never sent', since, taken: none })).toBeNull();
});

it('two rows with the same words to one number each get their own text, oldest first', async () => {
  const since = Date.now() - 1000;
  const first = await sender.sendSms(PHONE, BODY);
  await new Promise((r) => setTimeout(r, 1100)); // Twilio's date_created is to the second
  const second = await sender.sendSms(PHONE, BODY);
  const owned = new Set<string>();
  const a = await sender.findSms({ to: PHONE, body: BODY, since, taken: (id) => owned.has(id) });
  owned.add(a!.id);
  const b = await sender.findSms({ to: PHONE, body: BODY, since, taken: (id) => owned.has(id) });
  owned.add(b!.id);
  expect([a!.id, b!.id]).toEqual([first.id, second.id]);
  expect(await sender.findSms({ to: PHONE, body: BODY, since, taken: (id) => owned.has(id) })).toBeNull();
});

it('a provider that cannot answer the look-up makes it fail, not return "not found"', async () => {
  fake.setOutage({ status: 503 });
  await expect(sender.findSms({ to: PHONE, body: BODY, since: 0, taken: none })).rejects.toMatchObject({ status: 503 });
});
