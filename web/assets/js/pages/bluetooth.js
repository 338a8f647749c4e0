// Administration → Bluetooth: the box's BLE link (system bus, BlueZ, adapter), the health
// devices it discovered with their state and last change, pairing (Just Works or the 6-digit
// passkey the device shows) and a shortcut that registers a device under its ble-… uid.
//
// The list refreshes every few seconds (every second while a pairing or connection is under
// way). It is only re-drawn when something changed, and focus stays on the control that had it,
// so keyboard and screen-reader users are not thrown back to the top; each state change is
// announced in the polite live region.

import { h, append, clear, announce } from '../dom.js';
import { get, post, ApiError } from '../api.js';
import { formatTime, formatAge } from '../format.js';

const SLOW_MS = 3000;
const FAST_MS = 1000;

const STATE_LABEL = {
  discovered: 'Discovered', pairing: 'Pairing…', pairing_failed: 'Pairing failed', paired: 'Paired',
  connecting: 'Connecting…', connected: 'Connected', disconnected: 'Disconnected', unavailable: 'Unavailable',
};
const STATE_CLASS = {
  discovered: 'state-open', pairing: 'state-claimed', pairing_failed: 'state-escalated', paired: 'state-claimed',
  connecting: 'state-claimed', connected: 'state-acknowledged', disconnected: 'state-resolved', unavailable: 'state-escalated',
};
const BUSY = new Set(['pairing', 'paired', 'connecting']);

const SERVICE_KIND = {
  1810: ['blood_pressure', 'Blood pressure'], '180D': ['heart_rate', 'Heart rate'], 1822: ['pulse_oximeter', 'Pulse oximeter'],
  '181D': ['weight_scale', 'Weight scale'], 1809: ['thermometer', 'Thermometer'], 1808: ['glucometer', 'Glucose meter'],
};

/** What the admin should know (and do) about a device's state and reason code. */
export function explainState(d) {
  const r = d.reason || '';
  switch (d.state) {
    case 'discovered': return 'Ready to pair. Register it first so its readings are stored.';
    case 'pairing': return 'Pairing with the device. Keep it awake and near the box.';
    case 'pairing_failed':
      if (r === 'AuthenticationFailed') return 'The passkey did not match. Wake the device and pair again with the passkey it shows now.';
      if (r === 'AuthenticationRejected') return 'The device asks for a passkey. Pair again and choose "Passkey shown on the device".';
      if (r === 'AuthenticationCanceled' || r === 'AuthenticationTimeout') return 'The device did not finish pairing in time. Wake it and try again.';
      if (r === 'ConnectionAttemptFailed' || r === 'unreachable') return 'The device did not answer. Press its button (or put it in pairing mode) near the box and try again.';
      if (r === 'not_discovered') return 'The box has not seen this device. Wake it near the box and wait until it is listed as discovered.';
      return `Pairing failed (${r || 'no reason given'}). Wake the device and try again.`;
    case 'paired': return 'Paired and trusted. Connecting next.';
    case 'connecting': return 'Connecting to the device.';
    case 'connected': return 'Connected: its measurements are being received.';
    case 'disconnected':
      if (r === 'link_lost') return 'The link was lost (out of range or switched off). The box reconnects when it is back.';
      return 'Out of range or asleep. The box reconnects when it is back.';
    case 'unavailable':
      if (r === 'adapter_removed') return 'The Bluetooth adapter was removed. Plug it back in; the box reconnects by itself.';
      if (r === 'bluez_unavailable') return 'The Bluetooth service (bluetoothd) is not running on the box.';
      return 'Bluetooth is not available on the box right now.';
    default: return '';
  }
}

function linkFacts(link) {
  const row = (label, ok, good, bad) => [h('dt', label), h('dd', h(`span.state.${ok ? 'state-acknowledged' : 'state-escalated'}`, ok ? good : bad))];
  return h('dl.facts.ble-link', row('System bus', link.bus, 'Connected', 'Not connected'),
    row('BlueZ', link.bluez, 'Running', 'Not running'), row('Adapter', link.adapter, 'Present', 'Not found'));
}

function linkProblem(link) {
  if (!link.bus) return 'vigild cannot reach the system D-Bus. Check that dbus is running and the vigil D-Bus policy is installed (docs/operations.md).';
  if (!link.bluez) return 'BlueZ is not running. Start it with "systemctl start bluetooth"; the box reconnects by itself.';
  if (!link.adapter) return 'No Bluetooth adapter was found. Plug one in (check with "bluetoothctl list"); the box picks it up by itself.';
  return null;
}

/**
 * Renders the Bluetooth section into body. onRegister(uid, kind) opens the Devices form
 * prefilled. Returns a cleanup function that stops the refresh.
 */
export async function renderBluetooth(body, { onRegister }) {
  const linkBox = h('div', { 'aria-live': 'off' });
  const list = h('div.table-wrap');
  const msg = h('div.notice', { role: 'status', hidden: true });
  const updated = h('p.muted.small', { 'aria-live': 'off' });
  const pairBox = h('section.card.pair-form', { hidden: true, 'aria-labelledby': 'ble-pair-title' });
  let timer = null;
  let stopped = false;
  let lastKey = '';
  const lastState = new Map();

  function flash(kind, text) {
    msg.hidden = false;
    msg.className = `notice ${kind}`;
    msg.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    msg.textContent = text;
    announce(text);
  }

  function openPairForm(d) {
    clear(pairBox);
    const name = `ble-method-${d.address.replace(/:/g, '')}`;
    const justWorks = h('input', { type: 'radio', name, value: 'justworks', id: `${name}-jw`, checked: true });
    const passkeyMode = h('input', { type: 'radio', name, value: 'passkey', id: `${name}-pk` });
    const passkey = h('input', {
      id: `${name}-code`, type: 'text', inputmode: 'numeric', pattern: '[0-9]{6}', maxlength: 6, autocomplete: 'one-time-code',
      'aria-describedby': `${name}-hint`, disabled: true, class: 'passkey',
    });
    const passkeyField = h('div.field', h('label', { for: passkey.id }, 'Passkey shown on the device (6 digits)'), passkey,
      h('p.hint', { id: `${name}-hint` }, 'Type the six digits the device displays now.'));
    const sync = () => {
      passkey.disabled = !passkeyMode.checked;
      if (passkeyMode.checked) passkey.focus();
    };
    justWorks.addEventListener('change', sync);
    passkeyMode.addEventListener('change', sync);
    const err = h('div.notice.error', { role: 'alert', hidden: true });
    const form = h('form.form', { novalidate: true },
      h('fieldset', h('legend', 'How does this device pair?'),
        h('div.choice', justWorks, h('label', { for: justWorks.id }, 'Just Works: the device has no display or keypad')),
        h('div.choice', passkeyMode, h('label', { for: passkeyMode.id }, 'Passkey shown on the device'))),
      passkeyField, err,
      h('div.actions', h('button.btn.primary', { type: 'submit' }, 'Pair now'),
        h('button.btn', { type: 'button', onclick: () => { pairBox.hidden = true; refocus(`pair-${d.address}`); } }, 'Cancel')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.hidden = true;
      const body2 = { address: d.address };
      if (passkeyMode.checked) {
        const code = passkey.value.trim();
        if (!/^[0-9]{6}$/.test(code)) {
          err.hidden = false;
          err.textContent = 'Enter the 6 digits the device shows.';
          passkey.setAttribute('aria-invalid', 'true');
          passkey.focus();
          return;
        }
        passkey.removeAttribute('aria-invalid');
        body2.passkey = Number(code);
      }
      try {
        await post('/api/v1/admin/ble/pair', body2);
        pairBox.hidden = true;
        flash('info', `Pairing ${d.uid}… follow its state in the list.`);
        refocus(`pair-${d.address}`);
        await load();
      } catch (ex) {
        err.hidden = false;
        err.textContent = ex instanceof ApiError && ex.status === 400
          ? 'The box refused the request: Bluetooth is not running or the address is not valid.' : ex.message;
      }
    });
    pairBox.append(h('h2#ble-pair-title', `Pair ${d.uid}`), h('p.muted', `Address ${d.address}. Wake the device (press its button) and keep it near the box.`), form);
    pairBox.hidden = false;
    justWorks.focus();
  }

  function refocus(key) {
    const el = body.querySelector(`[data-key="${key}"]`);
    if (el) el.focus();
  }

  function row(d) {
    const [kind, kindLabel] = (d.services || []).map((s) => SERVICE_KIND[s]).find(Boolean) || [null, 'Health device'];
    const canPair = d.live !== false && (d.state === 'discovered' || d.state === 'pairing_failed');
    const last = d.lastConnectedAt
      ? h('span.sub', 'Last connected ', h('time', { datetime: d.lastConnectedAt, title: formatTime(d.lastConnectedAt) }, formatAge(d.lastConnectedAt)))
      : h('span.sub', 'Never connected');
    return h('tr', { 'data-address': d.address },
      h('th', { scope: 'row' }, d.uid, h('span.sub', `${kindLabel} · ${d.address}`)),
      h('td', h(`span.state.${d.live === false ? 'state-resolved' : STATE_CLASS[d.state] || 'state-open'}`,
        `${STATE_LABEL[d.state] || d.state}${d.live === false ? ' (last known)' : ''}`),
      h('span.sub', d.live === false ? 'Not seen since vigild started: BlueZ or the adapter is away, or the device is out of range.' : explainState(d))),
      h('td', d.changedAt ? h('time', { datetime: d.changedAt, title: formatTime(d.changedAt) }, formatAge(d.changedAt)) : h('span.muted', '—'), last),
      h('td', d.deviceId ? h('a', { href: '#/admin/devices' }, `Registered (device ${d.deviceId})`) : h('span.muted', 'Not registered')),
      h('td', h('div.row-actions',
        canPair ? h('button.btn.small.primary', { type: 'button', 'data-key': `pair-${d.address}`, 'aria-label': `Pair ${d.uid}`, onclick: () => openPairForm(d) }, 'Pair') : null,
        d.deviceId ? null : h('button.btn.small', { type: 'button', 'data-key': `register-${d.address}`, 'aria-label': `Register ${d.uid} as a device`, onclick: () => onRegister(d.uid, kind) }, 'Register this device'))));
  }

  function announceChanges(items) {
    for (const d of items) {
      const before = lastState.get(d.address);
      if (before !== undefined && before !== d.state) announce(`${d.uid}: ${STATE_LABEL[d.state] || d.state}. ${explainState(d)}`);
      lastState.set(d.address, d.state);
    }
  }

  async function load() {
    let answer;
    try {
      answer = await get('/api/v1/admin/ble/devices');
    } catch (e) {
      clear(linkBox); clear(list);
      if (e instanceof ApiError && (e.status === 404 || e.status === 503)) {
        linkBox.append(h('div.notice.info', { role: 'status' }, 'Bluetooth is not available on this box: it was built without BLE, or ble.enabled is off in vigild.conf.'));
        return false;
      }
      list.append(h('div.notice.error', { role: 'alert' }, `The device list could not be loaded: ${e.message}`));
      return true;
    }
    const items = (answer.items || []).slice().sort((a, b) => a.uid.localeCompare(b.uid));
    const key = JSON.stringify([answer.link, items.map((d) => [d.address, d.state, d.reason, d.changedAt, d.deviceId, d.live, d.lastConnectedAt])]);
    updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    announceChanges(items);
    if (key !== lastKey) {
      lastKey = key;
      const focusKey = document.activeElement && body.contains(document.activeElement) ? document.activeElement.dataset.key : undefined;
      clear(linkBox);
      const problem = linkProblem(answer.link);
      append(linkBox, [linkFacts(answer.link), problem ? h('div.notice.error', { role: 'alert' }, problem) : null]);
      clear(list);
      if (!items.length) {
        list.append(h('p.muted', answer.link.adapter
          ? 'No health device discovered yet. Wake the device (press its button or put it in pairing mode) near the box; it shows up within seconds.'
          : 'Devices show up here once the adapter is available.'));
      } else {
        list.append(h('table.data', h('caption.sr-only', 'Bluetooth devices'),
          h('thead', h('tr', ['Device', 'State', 'Last change', 'Registry', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', items.map(row))));
      }
      if (focusKey) refocus(focusKey);
    } else {
      for (const t of list.querySelectorAll('time[datetime]')) t.textContent = formatAge(t.getAttribute('datetime'));
    }
    return items.some((d) => BUSY.has(d.state));
  }

  async function tick() {
    if (stopped) return;
    const busy = await load();
    if (busy === false && !lastKey) return; // BLE not available: nothing to follow
    if (!stopped) timer = setTimeout(tick, busy ? FAST_MS : SLOW_MS);
  }

  body.append(
    h('section.card', h('h2', 'Bluetooth link'), linkBox),
    pairBox,
    h('section.card', h('div.card-head', h('h2', 'Discovered and paired devices'),
      h('button.btn.small', { type: 'button', onclick: () => load() }, 'Refresh now')), msg, list, updated),
  );
  await tick();
  return () => { stopped = true; if (timer) clearTimeout(timer); };
}
