// Provisioning for admins: residents, their contacts and devices, created, edited and deleted.
// A new device's MQTT secret (or a rotated one) is shown once, here, and never again: the
// gateway keeps only its hash. Deleting asks first; a resident with alerts not resolved is
// refused by the gateway, and the page says so in words.
import { t } from '../i18n.js';
import { h, replace } from '../dom.js';
import { api, failure } from '../api.js';

const KINDS = ['smoke', 'co', 'gas', 'water', 'button', 'door', 'motion', 'presence'];
const ROLES = ['neighbor', 'family', 'caseworker', 'resident'];
const ROOMS = ['bedroom', 'bathroom', 'kitchen', 'living', 'hall', 'entrance', 'other'];
const CATEGORIES = ['elderly_alone', 'disability', 'low_income', 'child_in_difficulty'];
const PROFILE_TEXT = ['household', 'health', 'difficulties', 'notes'];
const DAY_MS = 86_400_000;

function input(id, label, attrs = {}) {
  return [h('label', { for: id }, label), h('input', { id, name: attrs.name ?? id, type: 'text', ...attrs })];
}

function select(id, name, label, options, value) {
  return [h('label', { for: id }, label),
    h('select', { id, name }, options.map(([v, text]) => h('option', { value: v, ...(v === (value ?? '') ? { selected: true } : {}) }, text)))];
}

function formValues(form, names) {
  return Object.fromEntries(names.map((n) => [n, form.querySelector(`[name="${n}"]`).value.trim()]).filter(([, v]) => v !== ''));
}

/** every named field, an emptied one as null: an edit may clear what was there */
function editedValues(form, names) {
  return Object.fromEntries(names.map((n) => {
    const v = form.querySelector(`[name="${n}"]`).value.trim();
    return [n, v === '' ? null : v];
  }));
}

const status = () => h('div', { role: 'status' });

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

  /** asks, then deletes; the gateway's refusal (alerts not resolved) is said where the button is */
  function deleteButton(question, path, where, attrs, label = t('adm_delete'), cls = 'link danger') {
    return h('button', {
      type: 'button', class: cls, ...attrs,
      onclick: async () => {
        if (!confirm(question)) return;
        try {
          await api('DELETE', path);
          await load();
        } catch (err) { replace(where, failure(err)); }
      },
    }, label);
  }

  function deviceRow(r, d) {
    const result = status();
    const form = h('form', { class: 'device-edit', hidden: true },
      input(`de-${d.id}-name`, t('adm_deviceName'), { name: 'name', value: d.name ?? '', maxlength: 80 }),
      select(`de-${d.id}-kind`, 'kind', t('adm_kind'), KINDS.map((k) => [k, t(`deviceKind.${k}`)]), d.kind),
      select(`de-${d.id}-room`, 'room', t('adm_room'), [['', '—'], ...ROOMS.map((x) => [x, t(`room.${x}`)])], d.room),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'entrance', ...(d.entrance !== false ? { checked: true } : {}) }), ` ${t('adm_entrance')}`),
      input(`de-${d.id}-z2m`, t('adm_zigbee2mqtt'), { name: 'zigbee2mqtt', value: d.zigbee2mqtt ?? '', placeholder: '0x00158d0001a2b3c4' }),
      input(`de-${d.id}-rflink`, t('adm_rflink'), { name: 'rflink', value: d.rflink ?? '', placeholder: 'Chuango;ID=0a1b2c' }),
      h('button', { type: 'submit', class: 'primary' }, t('cf_save')), result);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = editedValues(form, ['name', 'room', 'zigbee2mqtt', 'rflink']);
      body.kind = form.querySelector('[name="kind"]').value;
      // the entrance flag is a door's alone
      if (body.kind === 'door') body.entrance = form.querySelector('[name="entrance"]').checked;
      try {
        await api('PATCH', `/api/devices/${d.id}`, body);
        await load();
      } catch (err) { replace(result, failure(err)); }
    });
    const rotate = async () => {
      if (!confirm(t('adm_rotateConfirm', { id: d.id }))) return;
      try { showSecret(await api('PATCH', `/api/devices/${d.id}`, { rotateSecret: true })); } catch (err) { replace(result, failure(err)); }
    };
    const where = status();
    return h('li', { 'data-device': d.id },
      h('span', { class: 'block' }, `${d.name ?? d.id} · ${t(`deviceKind.${d.kind}`)}${d.room ? ` · ${t(`room.${d.room}`)}` : ''}`),
      h('span', { class: 'actions' },
        h('button', { type: 'button', class: 'link', 'data-edit-device': d.id, onclick: () => { form.hidden = !form.hidden; } }, t('cf_edit')),
        h('button', { type: 'button', class: 'link', 'data-rotate': d.id, onclick: rotate }, t('adm_rotate')),
        deleteButton(t('adm_deleteDeviceConfirm', { name: d.name ?? d.id }), `/api/devices/${d.id}`, where, { 'data-delete-device': d.id })),
      where, form);
  }

  function contactRow(c) {
    const result = status();
    const form = h('form', { class: 'contact-edit', hidden: true },
      input(`ce-${c.id}-name`, t('adm_name'), { name: 'name', value: c.name, required: true }),
      input(`ce-${c.id}-phone`, t('adm_phone'), { name: 'phone', value: c.phone, required: true, inputmode: 'tel' }),
      select(`ce-${c.id}-role`, 'role', t('adm_role'), ROLES.map((x) => [x, t(`role.${x}`)]), c.role),
      input(`ce-${c.id}-oncall`, t('adm_onCall'), { name: 'onCall', value: c.onCall ?? '', placeholder: '08:00-22:00' }),
      select(`ce-${c.id}-locale`, 'locale', t('adm_locale'), [['', '—'], ['zh-CN', '中文'], ['en', 'English']], c.locale),
      h('button', { type: 'submit', class: 'primary' }, t('cf_save')), result);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = editedValues(form, ['name', 'phone', 'role', 'onCall', 'locale']);
      try {
        await api('PATCH', `/api/contacts/${c.id}`, body);
        await load();
      } catch (err) { replace(result, failure(err)); }
    });
    const where = status();
    return h('li', { 'data-contact': c.id },
      h('span', { class: 'block' }, `${c.name} · ${t(`role.${c.role}`)} · ${c.phone}`),
      h('span', { class: 'actions' },
        h('button', { type: 'button', class: 'link', 'data-edit-contact': c.id, onclick: () => { form.hidden = !form.hidden; } }, t('cf_edit')),
        deleteButton(t('adm_deleteContactConfirm', { name: c.name }), `/api/contacts/${c.id}`, where, { 'data-delete-contact': c.id })),
      where, form);
  }

  /** the resident's own fields and the handbook's, loaded when an admin opens them */
  async function editResident(r, box) {
    replace(box, h('p', { class: 'muted' }, t('loading')));
    let full; let file;
    try {
      [full, file] = await Promise.all([api('GET', `/api/residents/${r.id}`), api('GET', `/api/residents/${r.id}/casefile`)]);
    } catch (err) { replace(box, failure(err)); return; }
    const profile = file.profile;
    const p = `re-${r.id}`;
    const result = status();
    const form = h('form', { class: 'resident-edit' },
      input(`${p}-name`, t('adm_name'), { name: 'name', value: full.name, required: true }),
      input(`${p}-address`, t('adm_address'), { name: 'address', value: full.address }),
      input(`${p}-area`, t('area'), { name: 'area', value: full.area ?? '' }),
      h('label', { for: `${p}-birthday` }, t('cf_birthday')), h('input', { id: `${p}-birthday`, name: 'birthday', type: 'date', value: full.birthday ?? '' }),
      h('label', { for: `${p}-cycle` }, t('adm_visitCycle')),
      h('input', { id: `${p}-cycle`, name: 'visitCycleDays', type: 'number', min: 1, max: 366, inputmode: 'numeric', value: full.visitCycleMs ? Math.round(full.visitCycleMs / DAY_MS) : '', placeholder: '30' }),
      select(`${p}-locale`, 'locale', t('adm_locale'), [['zh-CN', '中文'], ['en', 'English']], full.locale),
      select(`${p}-category`, 'category', t('cf_category'), [['', '—'], ...CATEGORIES.map((c) => [c, t(`rc_${c}`)])], profile.category),
      PROFILE_TEXT.flatMap((f) => [h('label', { for: `${p}-${f}` }, t(`cf_${f}`)), h('textarea', { id: `${p}-${f}`, name: f, rows: 2 }, profile[f])]),
      h('button', { type: 'submit', class: 'primary', 'data-save-resident': r.id }, t('cf_save')), result);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const v = editedValues(form, ['name', 'address', 'area', 'birthday', 'locale', 'visitCycleDays', 'category']);
      const body = { name: v.name ?? '', address: v.address ?? '', area: v.area, birthday: v.birthday, locale: v.locale ?? 'zh-CN',
        visitCycle: v.visitCycleDays === null ? null : `${v.visitCycleDays}d` };
      // the handbook's fields go to the casefile, and only those that changed
      const handbook = {};
      if (v.category !== profile.category) handbook.category = v.category;
      for (const f of PROFILE_TEXT) { const text = form.querySelector(`[name="${f}"]`).value; if (text !== profile[f]) handbook[f] = text; }
      try {
        await api('PATCH', `/api/residents/${r.id}`, body);
        if (Object.keys(handbook).length) await api('PATCH', `/api/residents/${r.id}/casefile`, handbook);
        await load();
      } catch (err) { replace(result, failure(err)); }
    });
    const where = status();
    replace(box, form,
      h('h3', {}, t('adm_contacts')),
      full.contacts.length ? h('ul', { class: 'plain small contacts' }, full.contacts.map(contactRow)) : h('p', { class: 'muted small' }, t('adm_noContacts')),
      h('p', {}, deleteButton(t('adm_deleteResidentConfirm', { name: full.name }), `/api/residents/${r.id}`, where, { 'data-delete-resident': r.id },
        t('adm_deleteResident'), 'secondary danger')),
      where);
  }

  function residentCard(r) {
    const contactForm = h('form', { class: 'contact-form' },
      input(`c-${r.id}-name`, t('adm_name'), { name: 'name', required: true }),
      input(`c-${r.id}-phone`, t('adm_phone'), { name: 'phone', required: true, inputmode: 'tel', placeholder: '+8613800000001' }),
      h('label', { for: `c-${r.id}-role` }, t('adm_role')), h('select', { id: `c-${r.id}-role`, name: 'role' }, ROLES.map((x) => h('option', { value: x }, t(`role.${x}`)))),
      h('button', { type: 'submit', class: 'secondary' }, t('adm_addContact')), status());
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
      h('button', { type: 'submit', class: 'secondary' }, t('adm_addDevice')), status());
    deviceForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        const device = await api('POST', `/api/residents/${r.id}/devices`, formValues(deviceForm, ['id', 'kind', 'name']));
        await load();
        showSecret(device);
      } catch (err) { replace(deviceForm.lastChild, failure(err)); }
    });
    const editBox = h('div', {});
    const edit = h('details', { class: 'edit-resident' }, h('summary', {}, t('adm_editResident')), editBox);
    edit.addEventListener('toggle', () => { if (edit.open) editResident(r, editBox); });
    return h('li', { class: 'card', 'data-resident': r.id },
      h('div', { class: 'row' }, h('strong', {}, r.name), h('span', { class: 'muted small' }, r.id)),
      h('span', { class: 'muted small block' }, [r.area, r.address].filter(Boolean).join(' · ')),
      h('ul', { class: 'plain small devices' }, r.devices.map((d) => deviceRow(r, d))),
      edit,
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
    h('button', { type: 'submit', class: 'primary', id: 'create-resident-save' }, t('adm_create')), status());
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
