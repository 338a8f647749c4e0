// Async care (issue 23, docs/cases.md).
// - Patients (#/cases): their cases, "Ask your care team" (a category, the question, up to 5
//   photos); #/cases/<id> shows the conversation, the photos, a reply box and "Add a photo"
//   while the case is not closed, and a link to book a visit when the care team asked for one.
// - Providers and nurses (#/cases): their care team's open cases (and those escalated to them),
//   due first, with the due time, "due soon" / "overdue" and the escalation; #/cases/<id>: the
//   case with the patient's photos, reply, ask for photos, ask to book a visit, close with a
//   note (a draft note of kind "async case" the clinician signs on the notes page).
// Photos are shrunk and re-encoded in the browser (a canvas, JPEG) before they are sent, and
// the box strips any metadata again before it stores them encrypted.

import { h, clear, field, announce } from '../dom.js';
import { get, post, session, ApiError } from '../api.js';
import { formatTime } from '../format.js';

const MAX_SIDE = 1600;
const MAX_PHOTOS = 5;
const MAX_TEXT = 4000;
const CATEGORIES = [['question', 'A question'], ['skin', 'Skin or rash'], ['wound', 'Wound'],
  ['medication', 'Medication'], ['device', 'My device'], ['other', 'Something else']];
const STATE_LABELS = { open: 'Waiting for the care team', awaiting_patient: 'Waiting for you', closed: 'Closed' };
const STAFF_STATE_LABELS = { open: 'Open', awaiting_patient: 'Waiting for the patient', closed: 'Closed' };
const KIND_LABELS = { question: 'Question', message: 'Message', request_photos: 'Asked for photos', book_visit: 'Asked to book a visit', close: 'Closed with a note' };

function categoryLabel(c) {
  const k = CATEGORIES.find(([v]) => v === c);
  return k ? k[1] : c;
}

function errorText(err) {
  if (err instanceof ApiError && err.status === 403) return 'You may not do this with this case.';
  if (err instanceof ApiError) return err.message;
  return 'Something went wrong. Please try again.';
}

function isStaff() {
  const role = session()?.user?.role;
  return role === 'provider' || role === 'nurse';
}

/** A photo from a file input as JPEG base64, at most MAX_SIDE pixels a side. */
async function shrink(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

async function uploadPhotos(caseId, files, status) {
  let i = 0;
  for (const file of files) {
    i += 1;
    status.textContent = `Sending photo ${i} of ${files.length}…`;
    await post(`/api/v1/cases/${caseId}/photos`, { contentBase64: await shrink(file) });
  }
}

function dueText(c) {
  if (c.state === 'closed') return `Closed ${formatTime(c.closedAt)}`;
  if (!c.waitingForCareTeam) return c.state === 'awaiting_patient' ? 'Waiting for the patient' : 'Answered';
  if (c.overdue) return `Overdue since ${formatTime(c.dueAt)}`;
  if (c.dueSoon) return `Due soon: ${formatTime(c.dueAt)}`;
  return `Due ${formatTime(c.dueAt)}`;
}

function escalationText(c) {
  if (!c.escalatedAt) return '';
  return c.escalatedToName ? `Escalated ${formatTime(c.escalatedAt)} to ${c.escalatedToName}` : `Escalated ${formatTime(c.escalatedAt)} (nobody covering)`;
}

// ------------------------------------------------------------ lists

export async function renderCases(root) {
  clear(root);
  if (isStaff()) return renderQueue(root);
  const cases = await get('/api/v1/me/cases');
  document.title = 'Ask your care team — Vigil';
  const page = h('section.page.cases');
  root.append(page);
  page.append(h('h1', 'Ask your care team'),
    h('p.muted', 'For questions that can wait a business day. In an emergency call 911.'));
  page.append(newCaseForm());
  const list = h('section.card', { 'aria-labelledby': 'cases-title' }, h('h2#cases-title', 'Your questions'));
  if (!cases.items.length) list.append(h('p.muted', 'You have not asked anything yet.'));
  else list.append(h('ul.case-list', cases.items.map((c) => h('li', { 'data-case': c.id },
    h('a', { href: `#/cases/${c.id}` }, `${categoryLabel(c.category)}, ${formatTime(c.openedAt)}`), ' ',
    h(`span.badge.case-${c.state}`, STATE_LABELS[c.state] || c.state)))));
  page.append(list);
}

function newCaseForm() {
  const status = h('p.hint', { role: 'status' });
  const category = h('select#case-category', CATEGORIES.map(([v, l]) => h('option', { value: v }, l)));
  const question = h('textarea#case-question', { rows: 5, maxlength: MAX_TEXT, required: true });
  const photos = h('input#case-photos', { type: 'file', accept: 'image/jpeg,image/png', multiple: true });
  const form = h('form.card.case-new', { 'aria-labelledby': 'case-new-title' },
    h('h2#case-new-title', 'New question'),
    h('label', { for: 'case-category' }, 'What is it about?'), category,
    h('label', { for: 'case-question' }, 'Your question'), question,
    h('label', { for: 'case-photos' }, `Photos (up to ${MAX_PHOTOS}, JPEG or PNG)`), photos,
    h('p.hint', 'Location and camera details are removed from photos before they are stored.'),
    h('button.btn.primary#case-send', { type: 'submit' }, 'Send to my care team'), status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const files = [...photos.files];
    if (files.length > MAX_PHOTOS) {
      status.textContent = `At most ${MAX_PHOTOS} photos.`;
      return;
    }
    status.textContent = 'Sending…';
    try {
      const c = await post('/api/v1/me/cases', { category: category.value, question: question.value });
      await uploadPhotos(c.id, files, status);
      announce('Your question was sent to your care team.');
      location.hash = `#/cases/${c.id}`;
    } catch (err) {
      status.textContent = errorText(err);
    }
  });
  return form;
}

async function renderQueue(root) {
  const [queue, counts] = await Promise.all([get('/api/v1/cases'), get('/api/v1/case-counts')]);
  document.title = counts.waiting ? `(${counts.waiting}) Async cases — Vigil` : 'Async cases — Vigil';
  const page = h('section.page.cases');
  root.append(page);
  page.append(h('h1', 'Async cases'),
    h('p.case-counts', { 'data-open': counts.open },
      `${counts.open} open, ${counts.waiting} waiting for the care team, ${counts.dueSoon} due soon, ${counts.overdue} overdue`,
      counts.escalatedToMe ? `, ${counts.escalatedToMe} escalated to you` : ''));
  const list = h('section.card', { 'aria-labelledby': 'queue-title' }, h('h2#queue-title', 'Your care team\'s cases'));
  if (!queue.items.length) list.append(h('p.muted', 'No open cases.'));
  else {
    list.append(h('table.data', h('caption.sr-only', 'Open cases, due first'),
      h('thead', h('tr', h('th', 'Patient'), h('th', 'About'), h('th', 'Opened'), h('th', 'Due'), h('th', 'State'), h('th', 'Escalation'), h('th', ''))),
      h('tbody', queue.items.map((c) => h(`tr${c.overdue ? '.overdue' : c.dueSoon ? '.due-soon' : ''}`, { 'data-case': c.id },
        h('td', c.patientName || `Patient ${c.patientId}`), h('td', categoryLabel(c.category)),
        h('td', formatTime(c.openedAt)), h('td.case-due', dueText(c)),
        h('td', STAFF_STATE_LABELS[c.state] || c.state), h('td.case-escalation', escalationText(c)),
        h('td', h('a', { href: `#/cases/${c.id}` }, 'Open')))))));
  }
  page.append(list);
}

// ------------------------------------------------------------ one case

export async function renderCase(root, caseId) {
  clear(root);
  const c = await get(`/api/v1/cases/${caseId}`);
  const staff = isStaff();
  document.title = `Case ${caseId} — Vigil`;
  const page = h('section.page.case', { 'data-case': c.id, 'data-state': c.state });
  root.append(page);
  page.append(h('h1', `${categoryLabel(c.category)}, ${formatTime(c.openedAt)}`),
    h('p', h('a', { href: '#/cases' }, staff ? 'Back to the cases' : 'Back to your questions')));
  const facts = h('dl.case-facts',
    h('dt', 'State'), h('dd.case-state', (staff ? STAFF_STATE_LABELS : STATE_LABELS)[c.state] || c.state));
  if (staff) {
    facts.append(h('dt', 'Patient'), h('dd', h('a', { href: `#/patients/${c.patientId}` }, 'Open the chart')),
      h('dt', 'Due'), h('dd.case-due', dueText(c)),
      h('dt', 'Assigned to'), h('dd', c.assigneeName || 'The care team'));
    if (c.escalatedAt) facts.append(h('dt', 'Escalation'), h('dd.case-escalation', escalationText(c)));
    if (c.noteId) facts.append(h('dt', 'Note'), h('dd', h('a', { href: `#/patients/${c.patientId}/notes/${c.noteId}` }, 'Open the note to sign it')));
  }
  page.append(facts);

  const thread = h('section.card', { 'aria-labelledby': 'thread-title' }, h('h2#thread-title', 'Conversation'),
    h('ol.case-thread', c.messages.map((m) => h(`li.case-msg.msg-${m.kind}`, { 'data-kind': m.kind },
      h('p.msg-meta', `${m.authorRole === 'patient' ? (staff ? 'Patient' : 'You') : (m.authorName || m.authorRole)} · ${KIND_LABELS[m.kind] || m.kind} · ${formatTime(m.createdAt)}`),
      h('p.msg-text', m.text),
      (!staff && m.kind === 'book_visit' && c.state !== 'closed') ? h('p', h('a.btn#book-visit', { href: '#/schedule' }, 'Book a visit')) : null))));
  page.append(thread);

  const photos = h('section.card', { 'aria-labelledby': 'photos-title' }, h('h2#photos-title', `Photos (${c.photos.length} of ${MAX_PHOTOS})`));
  if (!c.photos.length) photos.append(h('p.muted', 'No photos.'));
  else photos.append(h('div.case-photos', c.photos.map((p, i) => h('figure',
    h('img', { src: p.href, alt: `Photo ${i + 1}`, width: Math.min(p.width, 320), loading: 'lazy' }),
    h('figcaption', `${p.width}×${p.height}, ${formatTime(p.uploadedAt)}`)))));
  page.append(photos);

  if (c.state !== 'closed') page.append(staff ? staffActions(c) : patientActions(c));
}

function patientActions(c) {
  const status = h('p.hint', { role: 'status' });
  const text = h('textarea#case-reply', { rows: 3, maxlength: MAX_TEXT });
  const files = h('input#case-more-photos', { type: 'file', accept: 'image/jpeg,image/png', multiple: true });
  const form = h('form.card.case-answer', h('h2', 'Answer'),
    h('label', { for: 'case-reply' }, 'Message'), text,
    c.photos.length < MAX_PHOTOS ? [h('label', { for: 'case-more-photos' }, 'Add photos'), files] : h('p.muted', 'This case has the most photos it can hold.'),
    h('button.btn.primary#case-answer-send', { type: 'submit' }, 'Send'), status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const chosen = [...files.files];
    if (!text.value.trim() && !chosen.length) {
      status.textContent = 'Write a message or choose a photo.';
      return;
    }
    if (c.photos.length + chosen.length > MAX_PHOTOS) {
      status.textContent = `A case holds at most ${MAX_PHOTOS} photos.`;
      return;
    }
    try {
      await uploadPhotos(c.id, chosen, status);
      if (text.value.trim()) await post(`/api/v1/cases/${c.id}/messages`, { text: text.value });
      announce('Sent.');
      await renderCase(form.closest('section.page').parentElement, c.id);
    } catch (err) {
      status.textContent = errorText(err);
    }
  });
  return form;
}

function staffActions(c) {
  const status = h('p.hint', { role: 'status' });
  const text = h('textarea#case-response', { rows: 4, maxlength: MAX_TEXT });
  const act = (path, key, done) => async () => {
    if (!text.value.trim()) {
      status.textContent = 'Write the message first.';
      return;
    }
    try {
      await post(`/api/v1/cases/${c.id}/${path}`, { [key]: text.value });
      announce(done);
      await renderCase(status.closest('section.page').parentElement, c.id);
    } catch (err) {
      status.textContent = errorText(err);
    }
  };
  return h('section.card.case-respond', { 'aria-labelledby': 'respond-title' },
    h('h2#respond-title', 'Respond'),
    h('label', { for: 'case-response' }, 'Message to the patient (closing: the note\'s assessment and plan)'), text,
    h('div.actions',
      h('button.btn.primary#case-reply-send', { type: 'button', onclick: act('messages', 'text', 'Reply sent.') }, 'Reply'),
      h('button.btn#case-request-photos', { type: 'button', onclick: act('request-photos', 'text', 'Photos requested.') }, 'Ask for photos'),
      h('button.btn#case-book-visit', { type: 'button', onclick: act('book-visit', 'text', 'Asked the patient to book a visit.') }, 'Ask to book a visit'),
      h('button.btn#case-close', { type: 'button', onclick: act('close', 'note', 'Case closed; the note waits for your signature.') }, 'Close with a note')),
    status);
}
