// Administration → Clinic groups (issue 30, docs/reports.md#clinic-groups): groups of providers
// and nurses ("North clinic") that the practice reports can be scoped to. An admin creates a
// group by name, renames it, deletes it (after a confirmation; the accounts stay), adds a
// provider or nurse chosen by name from a list of active staff, and removes one from its row.
// Each group is a region named by its name, with its members in a table. No patient here.

import { h, clear, field, announce } from '../dom.js';
import { get, post, put, del, query } from '../api.js';
import { staffLabel } from '../pickers.js';

const ROLE_LABEL = { provider: 'provider', nurse: 'nurse' };

function flash(box, kind, text) {
  box.hidden = false;
  box.className = `notice ${kind}`;
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  box.textContent = text;
  announce(text);
}

/** Renders the clinic groups section into body. */
export async function renderGroups(body) {
  const msg = h('div.notice', { role: 'status', hidden: true });
  const listBox = h('div.groups#groups');
  let staff = [];

  const name = field('Group name', { required: true, maxlength: 100, autocomplete: 'off' }, 'For example "North clinic". Names are unique, whatever their capitals.');
  const form = h('form.form.grid-form#group-form', { novalidate: true }, name.el,
    h('div.actions', h('button.btn.primary', { type: 'submit' }, 'Create group')));

  async function run(action, done) {
    try {
      await action();
      flash(msg, 'success', done);
      await load();
      return true;
    } catch (e) {
      flash(msg, 'error', e.message);
      return false;
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = name.input.value.trim();
    if (!text) { flash(msg, 'error', 'Give the group a name.'); name.input.focus(); return; }
    if (await run(() => post('/api/v1/groups', { name: text }), `Group ${text} created.`)) form.reset();
  });

  function groupCard(g) {
    const headingId = `group-${g.id}-name`;
    const memberIds = new Set(g.members.map((m) => m.userId));
    const rename = field('New name', { value: g.name, required: true, maxlength: 100, autocomplete: 'off' });
    const renameForm = h('form.form.inline-form', { novalidate: true }, rename.el,
      h('button.btn.small', { type: 'submit' }, 'Rename'));
    renameForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      const text = rename.input.value.trim();
      if (!text) { flash(msg, 'error', 'Give the group a name.'); rename.input.focus(); return; }
      await run(() => put(`/api/v1/groups/${g.id}`, { name: text }), `Group ${g.name} renamed ${text}.`);
    });

    const candidates = staff.filter((u) => !memberIds.has(u.id));
    const pick = field('Add a provider or nurse', { tag: 'select' });
    pick.input.append(h('option', { value: '' }, candidates.length ? 'Choose…' : 'Everyone is in this group'),
      ...candidates.map((u) => h('option', { value: u.id }, staffLabel(u))));
    const addForm = h('form.form.inline-form', { novalidate: true }, pick.el,
      h('button.btn.small.primary', { type: 'submit', disabled: !candidates.length }, 'Add member'));
    addForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      const u = candidates.find((c) => String(c.id) === pick.input.value);
      if (!u) { flash(msg, 'error', 'Choose a provider or nurse.'); pick.input.focus(); return; }
      await run(() => put(`/api/v1/groups/${g.id}/members/${u.id}`, {}), `${u.displayName} added to ${g.name}.`);
    });

    const members = g.members.length
      ? h('table.data', h('caption.sr-only', `Members of ${g.name}`),
        h('thead', h('tr', ['Name', 'Role', ''].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', g.members.map((m) => h('tr', { dataset: { userId: m.userId } },
          h('th', { scope: 'row' }, m.displayName),
          h('td', ROLE_LABEL[m.role] || m.role),
          h('td', h('button.btn.small.ghost', {
            type: 'button',
            'aria-label': `Remove ${m.displayName} from ${g.name}`,
            onclick: () => run(() => del(`/api/v1/groups/${g.id}/members/${m.userId}`), `${m.displayName} removed from ${g.name}.`),
          }, 'Remove'))))))
      : h('p.muted', 'No members yet.');

    const remove = h('button.btn.small.danger', {
      type: 'button',
      'aria-label': `Delete ${g.name}`,
      onclick: () => {
        if (!window.confirm(`Delete the group ${g.name}? Its ${g.members.length} member(s) keep their accounts; reports can no longer be scoped to it.`)) return;
        run(() => del(`/api/v1/groups/${g.id}`), `Group ${g.name} deleted.`);
      },
    }, 'Delete group');

    return h('section.card.group', { 'aria-labelledby': headingId, dataset: { groupId: g.id } },
      h('div.card-head', h('h2', { id: headingId }, g.name), remove),
      members, addForm, renameForm);
  }

  async function load() {
    clear(listBox);
    try {
      const [data, users] = await Promise.all([
        get('/api/v1/groups'),
        get(`/api/v1/admin/users${query({ pageSize: 200 })}`),
      ]);
      staff = (users.items || []).filter((u) => (u.role === 'provider' || u.role === 'nurse') && !u.disabled)
        .sort((a, b) => (a.displayName || '').localeCompare(b.displayName || ''));
      if (!data.items.length) {
        listBox.append(h('p.muted', 'No clinic group yet.'));
        return;
      }
      listBox.append(...data.items.map(groupCard));
    } catch (e) {
      flash(msg, 'error', e.message);
    }
  }

  body.append(
    h('p', 'Group providers and nurses by clinic or team. A report scoped to a group counts its providers\' figures and the patients on their care teams.'),
    msg,
    h('section.card', h('h2', 'New group'), form),
    listBox);
  await load();
  return null;
}
