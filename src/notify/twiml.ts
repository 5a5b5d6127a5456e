// TwiML built with the twilio package's own builders, so names and addresses are escaped.
import twilio from 'twilio';
import { replies, type Locale } from './templates.ts';

// Twilio's basic voices cannot speak Chinese; Amazon Polly voices can, and exist for both.
const VOICE = {
  en: { voice: 'Polly.Joanna', language: 'en-US' },
  'zh-CN': { voice: 'Polly.Zhiyu', language: 'cmn-CN' },
} as const;

/**
 * A call that says the alert twice and Gathers one key to `gatherUrl`, asking to press 1 to
 * confirm. Without a URL (no http.publicUrl, or a call that asks for
 * nothing) it only speaks.
 */
export function callTwiml(locale: Locale, speech: string, gatherUrl?: string): string {
  const response = new twilio.twiml.VoiceResponse();
  const say = VOICE[locale];
  if (gatherUrl) {
    const gather = response.gather({ numDigits: 1, action: gatherUrl, method: 'POST', timeout: 8 });
    gather.say(say, speech);
    gather.pause({ length: 1 });
    gather.say(say, speech);
    response.say(say, replies.voiceNoInput(locale));
  } else {
    response.say(say, speech);
    response.pause({ length: 1 });
    response.say(say, speech);
  }
  return response.toString();
}

/** what a call says after the key press, then hangs up */
export function sayTwiml(locale: Locale, text: string): string {
  const response = new twilio.twiml.VoiceResponse();
  response.say(VOICE[locale], text);
  response.hangup();
  return response.toString();
}

/** the answer to an inbound SMS, as the webhook's response (Twilio sends it back) */
export function messageTwiml(text: string): string {
  const response = new twilio.twiml.MessagingResponse();
  response.message(text);
  return response.toString();
}

export function emptyTwiml(): string {
  return new twilio.twiml.MessagingResponse().toString();
}
