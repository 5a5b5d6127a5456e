// The docs page: /openapi.json rendered as a list of operations with their parameters,
// request body and answers. Built with textContent only.
import { h, replace } from './dom.js';

function schemaText(schema) {
  return JSON.stringify(schema, null, 2);
}

const doc = await (await fetch('/openapi.json')).json();
const main = document.getElementById('docs');
const sections = [];
for (const [path, ops] of Object.entries(doc.paths)) {
  for (const [method, op] of Object.entries(ops)) {
    sections.push(h('details', { class: 'card', id: `${method}-${path}` },
      h('summary', {}, h('strong', {}, method.toUpperCase()), ' ', h('code', {}, path), ' — ', op.summary ?? ''),
      op.description && h('p', {}, op.description),
      op.security?.length ? h('p', { class: 'muted small' }, 'Authorization: Bearer <token>') : h('p', { class: 'muted small' }, 'No token needed'),
      op.parameters?.length && h('ul', {}, op.parameters.map((p) => h('li', {}, h('code', {}, p.name), ` (${p.in}${p.required ? ', required' : ''}) `, p.description ?? ''))),
      op.requestBody && h('div', {}, h('strong', {}, 'Body'), h('pre', {}, schemaText(op.requestBody.content['application/json'].schema))),
      h('div', {}, h('strong', {}, 'Answers'), h('ul', {}, Object.entries(op.responses).map(([code, r]) =>
        h('li', {}, h('code', {}, code), ' ', r.description,
          code.startsWith('2') && r.content ? h('pre', {}, schemaText(r.content['application/json'].schema)) : null)))),
    ));
  }
}
replace(main, h('h1', {}, doc.info.title), h('p', {}, doc.info.description), ...sections);
