// Every word the page shows comes from a string table, in English and Chinese. The core table
// lives in strings/core.js; each screen brings its own (strings/<screen>.js) and adds it here,
// so screens can be built apart. `{name}` is filled in by t(). The server sends codes and
// parameters, never sentences: the page says them in the reader's language.
import { CORE } from './strings/core.js';
import { ERRORS } from './strings/errors.js';

const tables = { en: {}, zh: {} };
/** keys asked for that no table has: the browser tests fail on any (window.__i18nMissing) */
const missing = new Set();
if (typeof window !== 'undefined') window.__i18nMissing = missing;

export function addStrings(strings) {
  for (const lang of Object.keys(tables)) Object.assign(tables[lang], strings[lang] ?? {});
}
addStrings(CORE);
addStrings(ERRORS);

let lang = 'en';
export function setLanguage(next) { lang = tables[next] ? next : 'en'; }
export function language() { return lang; }
/** the BCP 47 tag for dates, numbers and the page's lang attribute */
export function locale() { return lang === 'zh' ? 'zh-CN' : 'en-GB'; }

export function has(key) { return key in tables[lang]; }

export function t(key, vars = {}) {
  let text = tables[lang][key];
  if (text === undefined) {
    missing.add(`${lang}:${key}`);
    text = tables.en[key] ?? key;
  }
  return text.replace(/\{(\w+)\}/g, (_all, name) => String(vars[name] ?? ''));
}

/** t() for a code the server sent, with a fallback key when the code is one we do not know */
export function tCode(prefix, code, vars = {}, fallback = null) {
  const key = `${prefix}.${code}`;
  if (has(key)) return t(key, vars);
  if (fallback) return t(fallback, { ...vars, code });
  return t(key, vars);
}

/** "3 月 5 日 14:05", with the year when it is not this year, on the resident's clock */
const formats = new Map();
/** formatters are costly to make and a long list (planning, reminders) asks for thousands */
function format(lang, timeZone, options) {
  const key = `${lang}|${timeZone}|${JSON.stringify(options)}`;
  let f = formats.get(key);
  if (!f) formats.set(key, f = new Intl.DateTimeFormat(lang, { timeZone, ...options }));
  return f;
}

export function when(iso, timeZone, opts = {}) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  try {
    const yearOf = (d) => format('en', timeZone, { year: 'numeric' }).format(d);
    const withYear = opts.year ?? yearOf(date) !== yearOf(new Date());
    return format(locale(), timeZone, {
      ...(withYear ? { year: 'numeric' } : {}), month: 'short', day: 'numeric',
      ...(opts.dateOnly ? {} : { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
    }).format(date);
  } catch {
    return date.toISOString();
  }
}

/** "5 分钟前" / "5 min ago" */
export function ago(iso, now = Date.now()) {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto', style: 'short' });
  if (s < 60) return rtf.format(-s, 'second');
  if (s < 3600) return rtf.format(-Math.floor(s / 60), 'minute');
  if (s < 86400) return rtf.format(-Math.floor(s / 3600), 'hour');
  return rtf.format(-Math.floor(s / 86400), 'day');
}
