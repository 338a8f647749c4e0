// Administration → EHR connections (issue 26, docs/fhir.md#registering-an-ehr-smart-backend-services):
// the EHRs (SMART backend services) that may use the box's FHIR API. An admin registers one by
// name, with its public key (a JWK or JWKS pasted as JSON, or the https URL where the EHR
// publishes its JWKS) and the scopes it may be granted (checkboxes), confirms with the password
// (step-up, asked by api.js), and is shown the client_id to give the EHR. The list shows each
// client's id, keys, scopes and state; Disable stops its tokens at once. No PHI here.

import { h, clear, field, announce } from '../dom.js';
import { get, post, ApiError } from '../api.js';
import { formatTime } from '../format.js';

/** The scopes offered, in the v2 form the box stores (read + search, create). */
const SCOPES = [
  ['system/Patient.rs', 'Patients: read and search'],
  ['system/Observation.rs', 'Vital signs (Observation): read and search'],
  ['system/Observation.c', 'Vital signs (Observation): create'],
  ['system/Device.rs', 'Devices: read and search'],
  ['system/Encounter.rs', 'Visits (Encounter): read and search'],
  ['system/*.rs', 'Everything the box serves: read and search'],
];

function flash(box, kind, text) {
  box.hidden = false;
  box.className = `notice ${kind}`;
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  box.textContent = text;
  announce(text);
}

function clientRow(c, onDisable) {
  const keys = c.jwksUrl ? h('span', 'From ', h('code', c.jwksUrl)) : (c.keyIds.length ? c.keyIds.map((k, i) => [i ? ', ' : '', h('code', k)]) : h('span.muted', '—'));
  const state = c.disabledAt
    ? h('span.state.state-resolved', `Disabled ${formatTime(c.disabledAt)}`)
    : h('span.state.state-acknowledged', 'Active');
  const action = c.disabledAt ? null : h('button.btn.danger.small', {
    type: 'button',
    'aria-label': `Disable ${c.name}`,
    onclick: () => onDisable(c),
  }, 'Disable');
  return h('tr', { dataset: { clientId: c.clientId } },
    h('td', c.name),
    h('td', h('code.client-id', c.clientId)),
    h('td', keys),
    h('td', c.scopes.split(' ').map((s, i) => [i ? ' ' : '', h('code', s)])),
    h('td', formatTime(c.createdAt)),
    h('td', state),
    h('td', action));
}

/** Renders the EHR connections section into body. */
export async function renderFhirClients(body) {
  const msg = h('div.notice', { role: 'status', hidden: true, tabindex: '-1' });
  const listBox = h('div.table-wrap#fhir-clients');
  const tokenUrl = h('code#fhir-token-url');
  const shown = h('div.notice.success#fhir-client-registered', { role: 'status', hidden: true });

  const name = field('Name', { required: true, maxlength: 100, autocomplete: 'off' }, 'How the practice calls this EHR, e.g. "Acme EHR production".');
  const keySource = field('Public key', { tag: 'select' });
  keySource.input.append(h('option', { value: 'paste' }, 'Paste the JWK or JWKS'), h('option', { value: 'url' }, 'The EHR publishes a JWKS at a URL'));
  const jwks = field('JWK or JWKS (JSON)', { tag: 'textarea', rows: 6, spellcheck: false, autocomplete: 'off' },
    'The public key only: {"kty":"RSA",…} or {"keys":[…]}, each key with a "kid". RS384 (RSA, at least 2048 bits) or ES384 (EC P-384). Never paste a private key.');
  const jwksUrl = field('JWKS URL', { type: 'url', placeholder: 'https://ehr.example/.well-known/jwks.json', autocomplete: 'off' }, 'Fetched over HTTPS when the EHR asks for a token; keys can then be rotated by the EHR.');
  const showSource = () => {
    const url = keySource.input.value === 'url';
    jwks.el.hidden = url;
    jwksUrl.el.hidden = !url;
  };
  keySource.input.addEventListener('change', showSource);
  showSource();

  const boxes = SCOPES.map(([scope, label]) => {
    const input = h('input', { type: 'checkbox', value: scope, name: 'scope' });
    return { input, el: h('label.check', input, ' ', label, ' ', h('code.small', scope)) };
  });
  boxes[0].input.checked = true;
  boxes[1].input.checked = true;
  const scopes = h('fieldset.field', h('legend', 'What it may do'), ...boxes.map((b) => h('div', b.el)));

  const form = h('form.form.grid-form#fhir-client-form', { novalidate: true },
    name.el, keySource.el, jwks.el, jwksUrl.el, scopes,
    h('div.actions', h('button.btn.primary', { type: 'submit' }, 'Register EHR')));

  async function load() {
    try {
      const data = await get('/api/v1/fhir-clients');
      tokenUrl.textContent = data.tokenUrl || 'not set (web.public_url)';
      clear(listBox);
      if (!data.clients.length) {
        listBox.append(h('p.muted', 'No EHR is connected yet.'));
        return;
      }
      listBox.append(h('table.table',
        h('thead', h('tr', ['Name', 'Client ID', 'Keys', 'Scopes', 'Registered', 'State', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', data.clients.map((c) => clientRow(c, disable)))));
    } catch (e) {
      flash(msg, 'error', e.message);
    }
  }

  async function disable(c) {
    if (!window.confirm(`Disable ${c.name}? Its tokens stop working now and it gets no new ones.`)) return;
    try {
      await post(`/api/v1/fhir-clients/${c.id}/disable`, {});
      flash(msg, 'success', `${c.name} is disabled.`);
      await load();
    } catch (e) {
      flash(msg, 'error', e.message);
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    shown.hidden = true;
    const chosen = boxes.filter((b) => b.input.checked).map((b) => b.input.value);
    if (!name.input.value.trim()) { flash(msg, 'error', 'Give the EHR a name.'); name.input.focus(); return; }
    if (!chosen.length) { flash(msg, 'error', 'Choose at least one thing the EHR may do.'); return; }
    const byUrl = keySource.input.value === 'url';
    const payload = { name: name.input.value.trim(), scopes: chosen.join(' ') };
    if (byUrl) payload.jwksUrl = jwksUrl.input.value.trim();
    else payload.jwks = jwks.input.value.trim();
    try {
      const c = await post('/api/v1/fhir-clients', payload);
      form.reset();
      boxes[0].input.checked = true;
      boxes[1].input.checked = true;
      showSource();
      clear(shown);
      shown.append(
        h('p', h('strong', `${c.name} is registered.`), ' Give the EHR its client ID and the token URL:'),
        h('dl.facts',
          h('dt', 'Client ID'), h('dd', h('code#fhir-new-client-id', c.clientId)),
          h('dt', 'Token URL'), h('dd', h('code', tokenUrl.textContent)),
          h('dt', 'Scopes'), h('dd', h('code', c.scopes))));
      shown.hidden = false;
      announce(`${c.name} is registered. Client ID ${c.clientId}`);
      await load();
    } catch (err) {
      if (err instanceof ApiError && err.status === 403 && err.code === 'reauth_required') {
        flash(msg, 'error', 'Registering an EHR needs your password again.');
      } else {
        flash(msg, 'error', err.message);
      }
    }
  });

  body.append(
    h('p', 'EHRs connect to the box\'s FHIR API as SMART backend services: the EHR signs a short-lived assertion with its private key and gets a 5-minute token. Register its public key here. Token URL: ', tokenUrl, '.'),
    msg, shown,
    h('h2', 'Connected EHRs'), listBox,
    h('h2', 'Register an EHR'), form);
  await load();
  return null;
}
