// The docs page: /openapi.json rendered as a list of operations with their parameters, request
// body and answers, in the reader's language (summaries from strings/docs.js; schemas are code
// and stay as they are). Built with textContent only.
import { t, addStrings, setLanguage, language, locale } from './i18n.js';
import { h, replace } from './dom.js';
import { DOCS, SUMMARIES_ZH } from './strings/docs.js';

addStrings(DOCS);
const LANG_KEY = 'gw.lang';
const main = document.getElementById('docs');
const header = document.getElementById('docs-header');
let doc = null;

const schemaText = (schema) => JSON.stringify(schema, null, 2);

function summary(method, path, op) {
  if (language() === 'zh') return SUMMARIES_ZH[`${method.toUpperCase()} ${path}`] ?? op.summary ?? '';
  return op.summary ?? '';
}

function draw() {
  document.documentElement.lang = locale();
  document.title = t('docs.title');
  replace(header,
    h('a', { class: 'brand', href: '/docs' }, t('docs.title')),
    h('span', { class: 'spacer' }),
    h('a', { class: 'link', href: '/docs/ui/', id: 'try-it' }, t('docs.tryIt')),
    h('a', { class: 'link', href: '/openapi.json' }, t('docs.raw')),
    h('button', {
      type: 'button', class: 'link', id: 'lang', lang: language() === 'en' ? 'zh-CN' : 'en',
      onclick: () => { const next = language() === 'en' ? 'zh' : 'en'; localStorage.setItem(LANG_KEY, next); setLanguage(next); draw(); },
    }, t('otherLanguage')));
  if (!doc) return;
  const zh = language() === 'zh';
  const sections = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      sections.push(h('details', { class: 'card', id: `${method}-${path}`, 'data-op': `${method.toUpperCase()} ${path}` },
        h('summary', {}, h('code', { class: 'method' }, method.toUpperCase()), ' ', h('code', {}, path), ' — ', summary(method, path, op)),
        !zh && op.description && h('p', {}, op.description),
        h('p', { class: 'muted small' }, op.security?.length ? t('docs.auth') : t('docs.open')),
        op.parameters?.length && h('div', {}, h('strong', {}, t('docs.params')),
          h('ul', {}, op.parameters.map((p) => h('li', {}, h('code', {}, p.name), ` (${t(`docs.in.${p.in}`)}${p.required ? `, ${t('docs.required')}` : ''}) `, zh ? '' : (p.description ?? ''))))),
        op.requestBody && h('div', {}, h('strong', {}, t('docs.body')), h('pre', {}, schemaText(op.requestBody.content['application/json'].schema))),
        h('div', {}, h('strong', {}, t('docs.answers')), h('ul', {}, Object.entries(op.responses).map(([code, r]) =>
          h('li', {}, h('code', {}, code), ' ', !code.startsWith('2') ? t('docs.error') : code === '204' ? t('docs.noContent') : t('docs.ok'),
            code.startsWith('2') && r.content ? h('pre', {}, schemaText(r.content['application/json'].schema)) : null)))),
      ));
    }
  }
  replace(main, h('h1', {}, t('docs.title')), h('p', {}, t('docs.intro')),
    zh && t('docs.descriptionsInEnglish') && h('p', { class: 'muted small' }, t('docs.descriptionsInEnglish')), ...sections);
}

const saved = localStorage.getItem(LANG_KEY);
setLanguage(saved ?? (navigator.language?.toLowerCase().startsWith('zh') ? 'zh' : 'en'));
replace(main, h('p', { class: 'muted' }, t('docs.loading')));
draw();
try {
  doc = await (await fetch('/openapi.json')).json();
  draw();
} catch {
  replace(main, h('p', { class: 'error' }, t('docs.failed')));
}
