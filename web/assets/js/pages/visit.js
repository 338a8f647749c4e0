// Video visits (docs/video.md): the list of the user's visits and the visit room.
//
// The room: POST join (the provider is admitted at once, others wait until the provider admits
// them; the page polls the visit meanwhile), then the camera and microphone, then the media
// WebSocket (/api/v1/visits/{id}/media) carrying the box's offer, our answer and ICE candidates.
// The box offers fixed slots: m-lines (audio, camera, screen) three by three; the first three
// are sendrecv (our microphone, camera and shared screen go out on them), the others only
// bring other participants' media. Screen share puts a track on the third m-line.
// Chat and documents (PDF, PNG, JPEG) go through the REST API and reach the others over the
// media socket, as does the notice that a recording stopped (an invitation, a withdrawal).
// Controls: mute, camera off, leave; the provider also admits, invites a caregiver or
// interpreter by e-mail address (the box looks the user up; the address goes only into the
// POST body) and ends. Every participant sees the list of participants (role and whether they
// are admitted, waiting or only invited). Call quality (RTT, jitter, loss, bitrate) comes from
// getStats every two seconds.

import { h, clear, append, announce } from '../dom.js';
import { get, post, session, ApiError } from '../api.js';
import { consentSignForm } from './consent.js';
import { noteActivity } from '../idle.js';
import { surveysCard } from './survey.js';

// Why the provider may not see the patient here (issue 22, docs/scheduling.md#licensing).
const NOT_LICENSED = {
  no_license_for_state: 'The provider holds no license for the state the patient is in.',
  license_expired: 'The provider\'s license for the patient\'s state has expired.',
  license_not_yet_valid: 'The provider\'s license for the patient\'s state is not valid yet.',
  license_suspended: 'The provider\'s license for the patient\'s state is suspended.',
  license_revoked: 'The provider\'s license for the patient\'s state is revoked.',
  patient_state_unknown: 'The patient\'s state is not known: the patient confirms their location first.',
};

function notLicensedText(e) {
  const reason = e.body && e.body.reason;
  return `This visit cannot go ahead: ${NOT_LICENSED[reason] || e.message} The practice can offer a provider licensed there.`;
}

const POLL_MS = 1500;

function fmtTime(iso) {
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function localInputValue(d) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Providers and nurses schedule a visit with one of their patients (who has a portal account). */
async function scheduleForm(onScheduled) {
  const patients = await get('/api/v1/patients?pageSize=200');
  const select = h('select', { id: 'visit-patient', required: true },
    patients.items.map((p) => h('option', { value: String(p.id) }, `${p.familyName}, ${p.givenName} (${p.mrn})`)));
  const start = h('input', { type: 'datetime-local', id: 'visit-start', required: true, value: localInputValue(new Date()) });
  const minutes = h('select', { id: 'visit-minutes' }, [15, 30, 45, 60].map((m) => h('option', { value: String(m), selected: m === 30 }, `${m} minutes`)));
  const error = h('div.notice.error', { role: 'alert', hidden: true });
  const form = h('form.schedule-form',
    h('h2', 'Schedule a video visit'), error,
    h('label', { for: 'visit-patient' }, 'Patient'), select,
    h('label', { for: 'visit-start' }, 'Starts'), start,
    h('label', { for: 'visit-minutes' }, 'Length'), minutes,
    h('button.btn.primary', { type: 'submit' }, 'Schedule visit'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    const startsAtMs = new Date(start.value).getTime();
    try {
      const v = await post('/api/v1/visits', {
        patientId: Number(select.value), providerUserId: session().user.id,
        startsAtMs, endsAtMs: startsAtMs + Number(minutes.value) * 60000,
      });
      announce(`Visit ${v.id} scheduled`);
      onScheduled();
    } catch (err) {
      error.hidden = false;
      error.textContent = err.message;
    }
  });
  return form;
}

/**
 * The recordings of one visit with a player, for the visit's provider and admins: the box
 * decrypts them, audits every request, and the player asks for byte ranges as it goes. Used by
 * the visit room and by the administration's list of visits. `nameOf` names a participant.
 */
export function recordingsPanel(visitId, nameOf = (userId) => `Participant ${userId}`) {
  const list = h('ul.recording-list', { 'aria-label': `Recordings of visit ${visitId}` });
  const player = h('video.recording-player', { controls: true, preload: 'metadata', hidden: true, 'aria-label': 'Recording playback' });
  const el = h('section.recordings', { hidden: true }, h('h2', 'Recordings'), list, player);
  async function load() {
    const r = await get(`/api/v1/visits/${visitId}/recordings`);
    el.hidden = false;
    append(clear(list), [r.recordings.length
      ? r.recordings.map((rec) => h('li', `${nameOf(rec.userId)}, started ${fmtTime(rec.startedAt)}${rec.complete ? '' : ' (incomplete: cut short or still recording)'} `,
        h('button.btn.small', {
          type: 'button',
          'aria-label': `Play the recording of ${nameOf(rec.userId)} started ${fmtTime(rec.startedAt)}`,
          onclick: () => {
            player.hidden = false;
            player.src = `/api/v1/visits/${visitId}/recordings/${encodeURIComponent(rec.id)}`;
            player.play().catch(() => { /* the user presses play */ });
          },
        }, 'Play')))
      : h('li', 'No recordings.')]);
  }
  return { el, load };
}

export async function renderVisits(root) {
  clear(root);
  const data = await get('/api/v1/visits');
  // Whom each visit is with: staff see the patient and the provider, the patient the provider.
  const withWhom = (v) => [v.patientName, v.providerName].filter(Boolean).join(' with ');
  const rows = data.visits.map((v) => h('li.visit-item',
    h('span', `${fmtTime(v.startsAt)} to ${fmtTime(v.endsAt)}`, withWhom(v) ? ': ' : '', h('strong', withWhom(v)), ` (visit ${v.id})`),
    h('span.badge', v.state.replace('_', ' ')),
    h('a.btn.small', { href: `#/visits/${v.id}`, 'aria-label': `Open visit ${v.id}` }, v.state === 'ended' ? 'Details' : 'Open')));
  const role = session().user.role;
  const staff = role === 'provider' || role === 'nurse';
  // The patient's due satisfaction surveys (issue 30), above the list.
  const surveys = role === 'patient' ? await surveysCard() : null;
  root.append(h('section.page', h('h1', 'Video visits'), surveys,
    rows.length ? h('ul.visit-list', rows) : h('p', 'No upcoming video visits.'),
    staff ? await scheduleForm(() => renderVisits(root)) : null));
}

export async function renderVisit(root, visitId) {
  clear(root);
  const status = h('div.notice.info', { role: 'status' }, 'Not joined yet.');
  const error = h('div.notice.error', { role: 'alert', hidden: true });
  const local = h('video.local-video', { autoplay: true, playsInline: true, muted: true, 'aria-label': 'Your camera' });
  const remotes = h('div.remote-videos', { 'aria-label': 'Other participants' });
  const quality = h('p.call-quality', { 'aria-live': 'off' });
  const waitingList = h('ul.waiting-list');
  const waitingBox = h('section.waiting', { hidden: true }, h('h2', 'Waiting room'), waitingList);
  const participantList = h('ul.participant-list', { 'aria-label': 'Participants of this visit' });
  const inviteEmail = h('input', { type: 'email', id: 'visit-invite-email', required: true, autocomplete: 'off', maxLength: 254 });
  const inviteRole = h('select', { id: 'visit-invite-role' },
    h('option', { value: 'caregiver' }, 'Caregiver'), h('option', { value: 'interpreter' }, 'Interpreter'));
  const inviteResult = h('p.invite-result', { role: 'status' });
  const inviteForm = h('form.invite-form', { hidden: true },
    h('h3', 'Invite a caregiver or interpreter'),
    h('label', { for: 'visit-invite-email' }, 'E-mail address'), inviteEmail,
    h('label', { for: 'visit-invite-role' }, 'Role'), inviteRole,
    h('button.btn', { type: 'submit' }, 'Invite'));
  const participantsBox = h('section.participants', { hidden: true }, h('h2', 'Participants'), participantList, inviteForm, inviteResult);
  const joinBtn = h('button.btn.primary', { type: 'button' }, 'Join visit');
  const muteBtn = h('button.btn', { type: 'button', disabled: true, 'aria-pressed': 'false' }, 'Mute');
  const camBtn = h('button.btn', { type: 'button', disabled: true, 'aria-pressed': 'false' }, 'Camera off');
  const screenBtn = h('button.btn', { type: 'button', disabled: true, 'aria-pressed': 'false' }, 'Share screen');
  const leaveBtn = h('button.btn', { type: 'button', disabled: true }, 'Leave');
  const endBtn = h('button.btn.danger', { type: 'button', hidden: true }, 'End visit');
  const consentBox = h('input', { type: 'checkbox', id: 'visit-consent' });
  const consent = h('div.consent', { hidden: true }, consentBox,
    h('label', { for: 'visit-consent' }, 'I consent to this visit being recorded'));
  const recordBtn = h('button.btn', { type: 'button', hidden: true }, 'Start recording');
  const recordingBadge = h('span.badge.recording', { role: 'status', hidden: true }, 'Recording');
  const chatLog = h('ul.chat-log', { 'aria-live': 'polite', 'aria-label': 'Chat messages' });
  const chatInput = h('input', { type: 'text', id: 'visit-chat-text', maxLength: 2000, autocomplete: 'off' });
  const chatForm = h('form.chat-form', h('label', { for: 'visit-chat-text' }, 'Message'), chatInput,
    h('button.btn', { type: 'submit' }, 'Send'));
  const chatBox = h('section.chat', { hidden: true }, h('h2', 'Chat'), chatLog, chatForm);
  const docList = h('ul.doc-list', { 'aria-live': 'polite', 'aria-label': 'Shared documents' });
  const docInput = h('input', { type: 'file', id: 'visit-doc-file', accept: 'application/pdf,image/png,image/jpeg' });
  const docBox = h('section.docs', { hidden: true }, h('h2', 'Documents'), docList,
    h('label', { for: 'visit-doc-file' }, 'Share a document (PDF, PNG or JPEG)'), docInput);
  // Issue 22: the patient confirms the state they are in; the provider's license is checked for it.
  const checkInState = h('input', { id: 'visit-checkin-state', maxlength: 2, size: 3, autocomplete: 'off', 'aria-describedby': 'visit-checkin-hint' });
  const checkInForm = h('form.checkin-form', { hidden: true },
    h('label', { for: 'visit-checkin-state' }, 'The US state you are in now'), ' ', checkInState, ' ',
    h('button.btn', { type: 'submit' }, 'Confirm location'),
    h('p.hint#visit-checkin-hint', 'Your provider must be licensed in the state you are in during the visit. Two letters, for example CA.'));
  // Recordings: the visit's provider and admins play them back.
  const recordings = recordingsPanel(visitId, (userId) => nameOf(userId));
  root.append(h('section.page.visit-room',
    h('h1', `Video visit ${visitId}`, ' ', recordingBadge), status, error,
    h('div.controls', joinBtn, muteBtn, camBtn, screenBtn, leaveBtn, recordBtn, endBtn), consent, checkInForm,
    h('div.videos', local, remotes), quality, h('div.visit-side', chatBox, docBox), participantsBox, waitingBox, recordings.el));

  // For diagnostics (and the browser tests): inbound media counters of the current call.
  root.querySelector('.visit-room').vigilStats = async () => {
    const out = { framesDecoded: 0, audioPacketsReceived: 0, connectionState: pc ? pc.connectionState : 'none',
      transportCc: Boolean(pc && pc.localDescription && /transport-wide-cc/.test(pc.localDescription.sdp)) };
    if (!pc) return out;
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.framesDecoded += s.framesDecoded || 0;
        (out.video = out.video || []).push({ ssrc: s.ssrc, mid: s.mid, framesReceived: s.framesReceived, framesDecoded: s.framesDecoded,
          keyFramesDecoded: s.keyFramesDecoded, framesDropped: s.framesDropped, pliCount: s.pliCount, packetsReceived: s.packetsReceived,
          packetsLost: s.packetsLost, frameWidth: s.frameWidth });
      }
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        out.sent = { framesEncoded: s.framesEncoded, framesSent: s.framesSent, packetsSent: s.packetsSent, targetBitrate: s.targetBitrate,
          qualityLimitationReason: s.qualityLimitationReason, frameWidth: s.frameWidth, pliCount: s.pliCount, nackCount: s.nackCount };
      }
      if (s.type === 'remote-inbound-rtp' && s.kind === 'video') out.remoteInbound = { fractionLost: s.fractionLost, packetsLost: s.packetsLost, rtt: s.roundTripTime };
      if (s.type === 'candidate-pair' && s.nominated) out.pair = { state: s.state, availableOutgoingBitrate: s.availableOutgoingBitrate };
      if (s.type === 'inbound-rtp' && s.kind === 'audio') out.audioPacketsReceived += s.packetsReceived || 0;
    });
    return out;
  };

  let stream = null;
  let screenTrack = null;
  let recording = false;
  let pc = null;
  let ws = null;
  // Several nodes (docs/scale-out.md "Video rooms"): the node the visit's room lives on, as the
  // join names it; the media socket asks the balancer for that node (?node=).
  let roomNode = '';
  let pollTimer = null;
  let statsTimer = null;
  let closed = false;
  // Reconnections in a row after the box ended our media session (reset once connected).
  let reconnects = 0;
  let isProvider = false;
  let lastBytes = null;
  // Display names of the visit's participants, and whose media each of our slots carries (the
  // box's "slots" message), to name the tiles.
  const names = new Map();
  let slotOwners = [];
  function nameOf(userId) {
    return names.get(userId) || `Participant ${userId}`;
  }
  function labelTiles() {
    remotes.querySelectorAll('.remote').forEach((tile) => {
      const owner = slotOwners[Number(tile.dataset.slot)] || 0;
      tile.hidden = slotOwners.length > 0 && owner === 0;
      const label = tile.querySelector('.tile-name');
      label.textContent = owner ? nameOf(owner) : '';
      tile.querySelector('video.remote-video').setAttribute('aria-label', owner ? `Video of ${nameOf(owner)}` : 'Participant video');
    });
  }

  const showError = (msg) => { error.hidden = false; error.textContent = msg; };
  const setStatus = (msg) => { status.textContent = msg; }; // a live region already

  function stopMedia() {
    if (statsTimer) clearInterval(statsTimer);
    statsTimer = null;
    if (ws) { ws.onclose = null; ws.close(); ws = null; }
    if (pc) { pc.close(); pc = null; }
    clear(remotes);
  }

  function teardown() {
    closed = true;
    if (pollTimer) clearTimeout(pollTimer);
    stopMedia();
    if (stream) for (const t of stream.getTracks()) t.stop();
    stream = null;
    if (screenTrack) screenTrack.stop();
    screenTrack = null;
  }

  async function refreshVisit() {
    const v = await get(`/api/v1/visits/${visitId}`);
    isProvider = v.yourRole === 'provider';
    checkInForm.hidden = v.yourRole !== 'patient';
    if (v.patientState && !checkInState.value) checkInState.value = v.patientState;
    endBtn.hidden = !isProvider;
    recording = Boolean(v.recording);
    recordingBadge.hidden = !recording;
    recordBtn.textContent = recording ? 'Stop recording' : 'Start recording';
    for (const p of v.participants) if (p.displayName) names.set(p.userId, p.displayName);
    labelTiles();
    const mine = v.participants.find((p) => p.userId === session().user.id);
    if (mine) consentBox.checked = Boolean(mine.recordingConsent);
    participantsBox.hidden = false;
    append(clear(participantList), v.participants.map((p) => h('li', { dataset: { userId: String(p.userId) } },
      `${p.userId === session().user.id ? 'You' : nameOf(p.userId)} (${p.role}): `,
      h('span.participant-state', p.admitted ? 'admitted' : (p.waiting ? 'waiting' : 'invited')))));
    // Invitations stop with the visit (the box refuses them then).
    inviteForm.hidden = !isProvider || v.state === 'ended' || v.state === 'cancelled';
    if (isProvider) {
      const waiting = v.participants.filter((p) => p.waiting && !p.admitted);
      waitingBox.hidden = false;
      append(clear(waitingList), [waiting.length
        ? waiting.map((p) => h('li', `${nameOf(p.userId)} (${p.role}) is waiting `,
          h('button.btn.small.primary', { type: 'button', onclick: () => admit(p.userId), 'aria-label': `Admit ${nameOf(p.userId)}` }, 'Admit')))
        : h('li', 'Nobody is waiting.')]);
    }
    return v;
  }

  const loadRecordings = () => recordings.load();

  // The box answers an address without an account exactly as one of a user who may not be
  // invited (403 no_such_user), so the page cannot tell them apart either.
  const inviteRefusals = {
    no_such_user: 'Nobody with that e-mail address can be invited (it needs an active patient, provider or nurse account).',
    already_participant: 'That person already takes part in this visit.',
    visit_ended: 'The visit has ended.',
    not_visit_provider: 'Only the visit\'s provider can invite.',
  };
  inviteForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    inviteResult.classList.remove('error');
    inviteResult.textContent = 'Inviting…';
    try {
      const r = await post(`/api/v1/visits/${visitId}/participants`, { email: inviteEmail.value.trim(), role: inviteRole.value });
      inviteEmail.value = '';
      await refreshVisit();
      let msg = `${nameOf(r.userId)} is invited as ${r.role}. Admit them from the waiting room when they join.`;
      if (r.recordingStopped) msg += ' The recording stopped: they have not consented to recording.';
      inviteResult.textContent = msg;
      if (r.recordingStopped) await loadRecordings();
    } catch (err) {
      inviteResult.classList.add('error');
      inviteResult.textContent = `Not invited: ${(err instanceof ApiError && inviteRefusals[err.message]) || err.message}`;
    }
  });

  async function admit(userId) {
    try {
      await post(`/api/v1/visits/${visitId}/admit`, { userId });
      announce(`${nameOf(userId)} admitted`);
      await refreshVisit();
    } catch (e) {
      showError(e.message);
    }
  }

  /** Calls fn every POLL_MS until it returns true or the room is left. */
  function poll(fn) {
    if (closed) return;
    pollTimer = setTimeout(async () => {
      let done = false;
      try { done = (await fn()) === true; } catch (e) { if (!(e instanceof ApiError) || e.status !== 0) showError(e.message); }
      if (!done) poll(fn);
    }, POLL_MS);
  }

  const seenMessages = new Set();
  function showMessage(m) {
    if (seenMessages.has(m.id)) return;
    seenMessages.add(m.id);
    const who = m.senderUserId === session().user.id ? 'You' : nameOf(m.senderUserId);
    chatLog.append(h('li', h('span.chat-who', `${who}: `), h('span.chat-text', m.text)));
  }

  async function loadChat() {
    chatBox.hidden = false;
    const r = await get(`/api/v1/visits/${visitId}/messages`);
    for (const m of r.messages) showMessage(m);
  }

  const seenDocs = new Set();
  function showDocument(d) {
    if (seenDocs.has(d.id)) return;
    seenDocs.add(d.id);
    const who = d.uploaderUserId === session().user.id ? 'you' : nameOf(d.uploaderUserId);
    docList.append(h('li', h('a', { href: `/api/v1/visits/${visitId}/documents/${d.id}`, download: '' }, d.fileName),
      ` (${Math.max(1, Math.round(d.sizeBytes / 1024))} KiB, shared by ${who})`));
  }

  async function loadDocuments() {
    docBox.hidden = false;
    const r = await get(`/api/v1/visits/${visitId}/documents`);
    for (const d of r.documents) showDocument(d);
  }

  docInput.addEventListener('change', async () => {
    const file = docInput.files && docInput.files[0];
    if (!file) return;
    try {
      const dataUrl = await new Promise((resolve, reject) => {
        const reader = new FileReader();
        reader.onload = () => resolve(reader.result);
        reader.onerror = () => reject(new Error('the file could not be read'));
        reader.readAsDataURL(file);
      });
      const contentBase64 = String(dataUrl).slice(String(dataUrl).indexOf(',') + 1);
      showDocument(await post(`/api/v1/visits/${visitId}/documents`, { fileName: file.name, contentBase64 }));
      docInput.value = '';
    } catch (err) {
      showError(`The document was not shared: ${err.message}`);
    }
  });

  chatForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = chatInput.value.trim();
    if (!text) return;
    try {
      showMessage(await post(`/api/v1/visits/${visitId}/messages`, { text }));
      chatInput.value = '';
    } catch (err) {
      showError(`The message was not sent: ${err.message}`);
    }
  });

  function send(msg) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  }

  // The box's m-lines come in threes per slot: microphone, camera, shared screen.
  function attachRemote(transceiver, index) {
    const slot = Math.floor(index / 3);
    let tile = remotes.querySelector(`[data-slot="${slot}"]`);
    if (!tile) {
      const video = h('video.remote-video', { autoplay: true, playsInline: true, muted: true, 'aria-label': 'Participant video' });
      const screen = h('video.remote-screen', { autoplay: true, playsInline: true, muted: true, hidden: true, 'aria-label': 'Shared screen' });
      screen.addEventListener('resize', () => { screen.hidden = screen.videoWidth === 0; });
      const audio = h('audio', { autoplay: true });
      tile = h('div.remote', { dataset: { slot: String(slot) } }, video, screen, audio, h('p.tile-name'));
      remotes.append(tile);
      labelTiles();
    }
    const track = transceiver.receiver.track;
    const el = tile.querySelector(['audio', 'video.remote-video', 'video.remote-screen'][index % 3]);
    el.srcObject = new MediaStream([track]);
    el.play().catch(() => { /* autoplay with sound may wait for a gesture */ });
  }

  async function onOffer(sdp) {
    if (pc) pc.close();
    if (statsTimer) clearInterval(statsTimer);
    clear(remotes);
    pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    pc.onicecandidate = (e) => {
      if (e.candidate) send({ type: 'ice', candidate: e.candidate.candidate, sdpMLineIndex: e.candidate.sdpMLineIndex });
    };
    pc.onconnectionstatechange = () => {
      if (!pc) return;
      if (pc.connectionState === 'connected') { reconnects = 0; setStatus('Connected.'); }
      if (pc.connectionState === 'failed') showError('The media connection failed. Leave and join again.');
    };
    await pc.setRemoteDescription({ type: 'offer', sdp });
    const transceivers = pc.getTransceivers();
    const audio = stream.getAudioTracks()[0];
    const video = stream.getVideoTracks()[0];
    transceivers.forEach((t, i) => {
      if (i < 3) {
        t.direction = 'sendrecv';
        t.sender.replaceTrack([audio, video, screenTrack][i] || null);
      } else {
        t.direction = 'recvonly';
      }
      attachRemote(t, i);
    });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    send({ type: 'answer', sdp: pc.localDescription.sdp });
    statsTimer = setInterval(showQuality, 2000);
  }

  async function showQuality() {
    if (!pc) return;
    // Someone in a connected call is present though they may not touch the keyboard for a
    // while: the call keeps their session (automatic logoff counts a person's actions only).
    if (pc.connectionState === 'connected') noteActivity();
    const stats = await pc.getStats();
    let rtt = null; let jitter = null; let lost = 0; let received = 0; let bytes = 0;
    stats.forEach((s) => {
      if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.currentRoundTripTime !== undefined) rtt = s.currentRoundTripTime;
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        jitter = s.jitter;
        lost += s.packetsLost || 0;
        received += s.packetsReceived || 0;
        bytes += s.bytesReceived || 0;
      }
    });
    const now = Date.now();
    let kbps = null;
    if (lastBytes) kbps = Math.round(((bytes - lastBytes.bytes) * 8) / (now - lastBytes.at));
    lastBytes = { bytes, at: now };
    const loss = received + lost > 0 ? ((100 * lost) / (received + lost)).toFixed(1) : '0.0';
    quality.textContent = `Call quality: round trip ${rtt === null ? '–' : Math.round(rtt * 1000) + ' ms'}, `
      + `jitter ${jitter === null ? '–' : Math.round(jitter * 1000) + ' ms'}, loss ${loss} %, `
      + `video ${kbps === null ? '–' : kbps + ' kbit/s'}`;
  }

  function openMedia() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const csrf = encodeURIComponent(session().csrf);
    const node = roomNode ? `&node=${encodeURIComponent(roomNode)}` : '';
    ws = new WebSocket(`${proto}//${location.host}/api/v1/visits/${visitId}/media?csrf=${csrf}${node}`);
    ws.onmessage = async (e) => {
      const msg = JSON.parse(e.data);
      try {
        if (msg.type === 'offer') await onOffer(msg.sdp);
        else if (msg.type === 'ice' && pc) await pc.addIceCandidate({ candidate: msg.candidate, sdpMLineIndex: msg.sdpMLineIndex });
        else if (msg.type === 'error' && msg.ended) onSessionEnded(msg.reason);
        else if (msg.type === 'error') showError(`The video connection ended: ${msg.reason}`);
        else if (msg.type === 'slots') { slotOwners = msg.owners || []; labelTiles(); }
        else if (msg.type === 'chat') showMessage(msg);
        else if (msg.type === 'document') showDocument(msg);
        else if (msg.type === 'recording' && msg.recording && msg.incomplete) {
          const note = 'Recording incomplete: the box could not record a participant who joined. Stop and start the recording again, or carry on without their part.';
          setStatus(note);
          announce(note);
        }
        else if (msg.type === 'recording') {
          const why = { participant_invited: 'a participant was invited who has not consented to recording',
            consent_withdrawn: 'a participant withdrew their consent', provider: 'the provider stopped it' }[msg.reason] || msg.reason;
          setStatus(`Recording stopped: ${why}.`);
          announce(`Recording stopped: ${why}.`);
          await refreshVisit();
          if (isProvider) await loadRecordings();
        }
      } catch (err) {
        showError(`Video signalling failed: ${err.message}`);
      }
    };
    ws.onclose = (e) => {
      ws = null;
      if (closed) return;
      const reasons = { 4003: 'You have not been admitted to this visit.', 4004: 'The visit has ended.', 4009: 'The visit is full.', 4001: 'Your session has ended.' };
      showError(reasons[e.code] || 'The video connection closed. Join again to reconnect.');
      stopMedia();
      joinBtn.disabled = false;
    };
  }

  async function startMedia() {
    setStatus('Starting camera and microphone…');
    if (!stream) {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
      local.srcObject = stream;
    }
    muteBtn.disabled = false;
    camBtn.disabled = false;
    consent.hidden = false;
    recordBtn.hidden = !isProvider;
    screenBtn.disabled = !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
    leaveBtn.disabled = false;
    setStatus('Connecting…');
    openMedia();
    await loadChat();
    await loadDocuments();
  }

  // The box ended our media session (its connection failed or never came up, a media error):
  // join again by ourselves a few times, keeping the camera and microphone, then leave it to
  // the Join button.
  function onSessionEnded(reason) {
    stopMedia();
    if (reconnects < 3) {
      reconnects += 1;
      setStatus(`The video connection ended (${reason}). Reconnecting…`);
      setTimeout(() => { if (!closed) join(); }, 2000);
    } else {
      showError(`The video connection ended: ${reason}. Join again to reconnect.`);
      joinBtn.disabled = false;
    }
  }

  checkInForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    const state = checkInState.value.trim().toUpperCase();
    try {
      await post(`/api/v1/visits/${visitId}/check-in`, { state });
      setStatus(`Location confirmed: ${state}.`);
    } catch (ex) {
      showError(ex instanceof ApiError && ex.code === 'not_licensed' ? notLicensedText(ex) : ex.message);
    }
  });

  joinBtn.addEventListener('click', () => join());
  async function join() {
    error.hidden = true;
    joinBtn.disabled = true;
    try {
      const r = await post(`/api/v1/visits/${visitId}/join`);
      roomNode = r.node || '';
      await refreshVisit();
      if (r.status === 'admitted') {
        await startMedia();
        if (isProvider) poll(async () => { await refreshVisit(); return false; });
      } else {
        setStatus('You are in the waiting room. The provider will admit you shortly.');
        poll(async () => {
          const v = await refreshVisit();
          if (!v.youAreAdmitted) return false;
          await startMedia();
          poll(async () => { await refreshVisit(); return false; }); // recording status
          return true;
        });
      }
    } catch (e) {
      joinBtn.disabled = false;
      if (e instanceof ApiError && e.code === 'consent_required') { await askConsent(); return; }
      if (e instanceof ApiError && e.code === 'not_licensed') { showError(notLicensedText(e)); return; }
      showError(e instanceof ApiError && e.status === 403
        ? `You cannot join this visit (${e.message}).`
        : e.message);
    }
  }

  // No video visit without telehealth consent (issue 21): the box refused the join; show the
  // current telehealth consent to sign here, then join.
  async function askConsent() {
    const v = await get(`/api/v1/visits/${visitId}`);
    setStatus('Before your first video visit, please read and sign the telehealth consent.');
    joinBtn.disabled = true;
    const holder = h('div.visit-consent-sign');
    status.after(holder);
    holder.append(await consentSignForm({
      patientId: v.patientId,
      kind: 'telehealth',
      onSigned: async () => { holder.remove(); joinBtn.disabled = false; await join(); },
      onCancel: () => { holder.remove(); joinBtn.disabled = false; setStatus('Not joined yet.'); },
    }));
    const heading = holder.querySelector('h2');
    if (heading) { heading.setAttribute('tabindex', '-1'); heading.focus(); }
  }

  muteBtn.addEventListener('click', () => {
    const track = stream && stream.getAudioTracks()[0];
    if (!track) return;
    track.enabled = !track.enabled;
    muteBtn.textContent = track.enabled ? 'Mute' : 'Unmute';
    muteBtn.setAttribute('aria-pressed', String(!track.enabled));
  });
  camBtn.addEventListener('click', () => {
    const track = stream && stream.getVideoTracks()[0];
    if (!track) return;
    track.enabled = !track.enabled;
    camBtn.textContent = track.enabled ? 'Camera off' : 'Camera on';
    camBtn.setAttribute('aria-pressed', String(!track.enabled));
  });
  // Screen share: a track on the screen m-line (the third of slot 0); no renegotiation.
  async function setScreen(track) {
    if (screenTrack && screenTrack !== track) screenTrack.stop();
    screenTrack = track;
    const t = pc && pc.getTransceivers()[2];
    if (t) await t.sender.replaceTrack(track);
    screenBtn.textContent = track ? 'Stop sharing' : 'Share screen';
    screenBtn.setAttribute('aria-pressed', String(Boolean(track)));
  }
  screenBtn.addEventListener('click', async () => {
    try {
      if (screenTrack) {
        await setScreen(null);
        return;
      }
      const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
      const track = display.getVideoTracks()[0];
      track.addEventListener('ended', () => { if (screenTrack === track) setScreen(null); });
      await setScreen(track);
    } catch (e) {
      showError(`Screen sharing did not start: ${e.message}`);
    }
  });

  consentBox.addEventListener('change', async () => {
    try {
      await post(`/api/v1/visits/${visitId}/consent`, { recording: consentBox.checked });
      announce(consentBox.checked ? 'Consent to recording given' : 'Consent to recording withdrawn');
      await refreshVisit();
    } catch (e) {
      showError(e.message);
    }
  });
  recordBtn.addEventListener('click', async () => {
    try {
      const wasRecording = recording;
      await post(`/api/v1/visits/${visitId}/recording`, { action: recording ? 'stop' : 'start' });
      await refreshVisit();
      if (wasRecording) await loadRecordings();
    } catch (e) {
      showError(e instanceof ApiError && e.status === 403
        ? `Recording needs every participant's consent (${e.message}).`
        : e.message);
    }
  });

  leaveBtn.addEventListener('click', async () => {
    teardown();
    try { await post(`/api/v1/visits/${visitId}/leave`); } catch { /* leaving anyway */ }
    setStatus('You left the visit.');
    joinBtn.disabled = false;
    closed = false;
  });
  endBtn.addEventListener('click', async () => {
    try {
      await post(`/api/v1/visits/${visitId}/end`);
      teardown();
      setStatus('The visit has ended.');
    } catch (e) {
      showError(e.message);
    }
  });

  const admin = session().user.role === 'admin';
  try {
    await refreshVisit();
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 403)) throw e;
    if (!admin) showError('You are not a participant of this visit.');
  }
  if (isProvider || admin) {
    try { await loadRecordings(); } catch (e) { if (!(e instanceof ApiError && e.status === 403)) showError(e.message); }
  }
  return teardown;
}
