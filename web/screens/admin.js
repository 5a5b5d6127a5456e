// Provisioning for admins: residents, their contacts and devices. A new device's MQTT secret
// (or a rotated one) is shown once, here, and never again: the gateway keeps only its hash.
import { t } from '../i18n.js';
import { h, replace } from '../dom.js';
import { api, failure } from '../api.js';

const KINDS = ['smoke', 'co', 'gas', 'water', 'button', 'door', 'motion', 'presence'];
const ROLES = ['neighbor', 'family', 'caseworker', 'resident'];

function input(id, label, attrs = {}) {
  return [h('label', { for: id }, label), h('input', { id, name: id, type: 'text', ...attrs })];
}

function formValues(form, names) {
  return Object.fromEntries(names.map((n) => [n, form.querySelector(`[name="${n}"]`).value.trim()]).filter(([, v]) => v !== ''));
}

export async function renderAdmin(main) {
  replace(main, h('p', { class: 'muted' }, t('loading')));
  const list = h('ul', { class: 'plain', id: 'admin-residents' });
  const secretBox = h('div', { id: 'secret-box', role: 'status' });

  async function load() {
    try {
      const residents = await api('GET', '/api/residents');
      replace(list, residents.items.map((r) => residentCard(r)));
    } catch (err) { replace(list, failure(err)); }
  }

  function showSecret(device) {
    replace(secretBox, h('div', { class: 'card secret' },
      h('strong', {}, t('adm_secretOnce', { id: device.id })),
      h('code', { id: 'device-secret', class: 'block' }, device.secret),
      h('p', { class: 'hint' }, t('adm_secretHint')),
      h('button', { type: 'button', class: 'secondary', onclick: () => replace(secretBox) }, t('adm_secretDone'))));
    secretBox.scrollIntoView({ block: 'center' });
  }

  function residentCard(r) {
    const contactForm = h('form', { class: 'contact-form' },
      input(`c-${r.id}-name`, t('adm_name'), { name: 'name', required: true }),
      input(`c-${r.id}-phone`, t('adm_phone'), { name: 'phone', required: true, inputmode: 'tel', placeholder: '+8613800000001' }),
      h('label', { for: `c-${r.id}-role` }, t('adm_role')), h('select', { id: `c-${r.id}-role`, name: 'role' }, ROLES.map((x) => h('option', { value: x }, t(`role.${x}`)))),
      h('button', { type: 'submit', class: 'secondary' }, t('adm_addContact')), h('div', { role: 'status' }));
    contactForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await api('POST', `/api/residents/${r.id}/contacts`, formValues(contactForm, ['name', 'phone', 'role']));
        await load();
      } catch (err) { replace(contactForm.lastChild, failure(err)); }
    });
    const deviceForm = h('form', { class: 'device-form' },
      input(`d-${r.id}-id`, t('adm_deviceId'), { name: 'id', required: true, pattern: '[a-z0-9\\-]+' }),
      h('label', { for: `d-${r.id}-kind` }, t('adm_kind')), h('select', { id: `d-${r.id}-kind`, name: 'kind' }, KINDS.map((k) => h('option', { value: k }, t(`deviceKind.${k}`)))),
      input(`d-${r.id}-name`, t('adm_deviceName'), { name: 'name' }),
      h('button', { type: 'submit', class: 'secondary' }, t('adm_addDevice')), h('div', { role: 'status' }));
    deviceForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        const device = await api('POST', `/api/residents/${r.id}/devices`, formValues(deviceForm, ['id', 'kind', 'name']));
        await load();
        showSecret(device);
      } catch (err) { replace(deviceForm.lastChild, failure(err)); }
    });
    const rotate = (deviceId) => async () => {
      if (!confirm(t('adm_rotateConfirm', { id: deviceId }))) return;
      try { showSecret(await api('PATCH', `/api/devices/${deviceId}`, { rotateSecret: true })); } catch (err) { secretBox.append(failure(err) ?? ''); }
    };
    return h('li', { class: 'card', 'data-resident': r.id },
      h('div', { class: 'row' }, h('strong', {}, r.name), h('span', { class: 'muted small' }, r.id)),
      h('span', { class: 'muted small block' }, [r.area, r.address].filter(Boolean).join(' · ')),
      h('ul', { class: 'plain small' }, r.devices.map((d) => h('li', {}, `${d.name ?? d.id} · ${t(`deviceKind.${d.kind}`)} `,
        h('button', { type: 'button', class: 'link', 'data-rotate': d.id, onclick: rotate(d.id) }, t('adm_rotate'))))),
      h('details', {}, h('summary', {}, t('adm_addContact')), contactForm),
      h('details', {}, h('summary', {}, t('adm_addDevice')), deviceForm));
  }

  const createForm = h('form', { id: 'create-resident' },
    input('new-id', t('adm_residentId'), { name: 'id', required: true, pattern: '[a-z0-9\\-]+', placeholder: 'r-wang' }),
    input('new-name', t('adm_name'), { name: 'name', required: true }),
    input('new-address', t('adm_address'), { name: 'address' }),
    input('new-area', t('area'), { name: 'area' }),
    h('label', { for: 'new-birthday' }, t('cf_birthday')), h('input', { id: 'new-birthday', name: 'birthday', type: 'date' }),
    h('label', { for: 'new-locale' }, t('adm_locale')), h('select', { id: 'new-locale', name: 'locale' }, h('option', { value: 'zh-CN' }, '中文'), h('option', { value: 'en' }, 'English')),
    h('button', { type: 'submit', class: 'primary', id: 'create-resident-save' }, t('adm_create')), h('div', { role: 'status' }));
  createForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api('POST', '/api/residents', formValues(createForm, ['id', 'name', 'address', 'area', 'birthday', 'locale']));
      createForm.reset();
      await load();
    } catch (err) { replace(createForm.lastChild, failure(err)); }
  });

  replace(main, h('h1', {}, t('nav_admin')), secretBox,
    h('details', { class: 'card', id: 'new-resident' }, h('summary', {}, h('h2', {}, t('adm_newResident'))), createForm),
    list);
  await load();
}
