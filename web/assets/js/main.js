// The portal's shell: top bar, navigation by role, hash routes (#/queue, #/patients/7 …) and
// the signed-in/signed-out switch. Deep links survive sign-in: the route asked for is opened
// after signing in if the role may see it.

import { h, clear, focusHeading, announce } from './dom.js';
import { loadSession, onSessionChange, session, logout, post, ApiError } from './api.js';
import { startIdleWatch, stopIdleWatch } from './idle.js';
import { reasonForm } from './reason_form.js';
import * as live from './live.js';
import { startEscalationWatch, stopEscalationWatch } from './escalations.js';
import { renderSignIn } from './pages/signin.js';
import { renderQueue } from './pages/queue.js';
import { renderPatients } from './pages/patients.js';
import { renderChart } from './pages/chart.js';
import { renderMe } from './pages/me.js';
import { renderAdmin } from './pages/admin.js';
import { renderRules } from './pages/rules.js';
import { renderAccount } from './pages/account.js';
import { renderVisits, renderVisit } from './pages/visit.js';
import { renderConsents, renderPatientConsents, renderConsentAdmin } from './pages/consent.js';
import { renderWelcome } from './pages/invitations.js';
import { renderRecord } from './pages/record.js';
import { renderIntake } from './pages/intake.js';
import { renderMyLicenses } from './pages/licenses.js';
import { renderSchedule } from './pages/schedule.js';
import { renderOnDemand } from './pages/ondemand.js';
import { renderNotes, renderNote, renderCosignQueue, renderSummaries } from './pages/notes.js';
import { renderWorklist } from './pages/worklist.js';
import * as worklistBadge from './worklist_badge.js';
import { renderCases, renderCase } from './pages/cases.js';
import { renderSurvey } from './pages/survey.js';
import { renderBilling } from './pages/billing.js';
import { renderPrescriptions, renderSigningLog } from './pages/rx.js';
import { renderPracticeReport } from './pages/practice_report.js';

const NAV = {
  provider: [['#/worklist', 'Worklist'], ['#/queue', 'Alert queue'], ['#/patients', 'Patients'], ['#/schedule', 'Schedule'], ['#/on-demand', 'On-demand'], ['#/visits', 'Visits'], ['#/cases', 'Async cases'], ['#/cosign', 'Co-sign'], ['#/billing', 'Billing'], ['#/reports', 'Reports'], ['#/rules', 'Alert rules'], ['#/licenses', 'My licenses'], ['#/account', 'Account']],
  nurse: [['#/worklist', 'Worklist'], ['#/queue', 'Alert queue'], ['#/patients', 'Patients'], ['#/schedule', 'Schedule'], ['#/visits', 'Visits'], ['#/cases', 'Async cases'], ['#/rules', 'Alert rules'], ['#/licenses', 'My licenses'], ['#/account', 'Account']],
  patient: [['#/me', 'My readings'], ['#/record', 'My record'], ['#/see-now', 'See a provider now'], ['#/schedule', 'Appointments'], ['#/cases', 'Ask your care team'], ['#/prescriptions', 'Prescriptions'], ['#/summaries', 'Visit summaries'], ['#/visits', 'Visits'], ['#/consents', 'Consents'], ['#/account', 'Account']],
  front_desk: [['#/patients', 'Patients'], ['#/schedule', 'Scheduling'], ['#/account', 'Account']],
  admin: [['#/admin/users', 'Users'], ['#/admin/care-teams', 'Care teams'], ['#/admin/groups', 'Clinic groups'], ['#/admin/devices', 'Devices'],
    ['#/admin/bluetooth', 'Bluetooth'], ['#/admin/rules', 'Alert rules'], ['#/admin/escalation', 'Escalation'], ['#/admin/reports', 'Reports'], ['#/reports', 'Practice reports'], ['#/billing', 'Billing'], ['#/admin/visits', 'Visits'], ['#/schedule', 'Scheduling'], ['#/admin/consents', 'Consents'], ['#/admin/licenses', 'Licenses'], ['#/admin/audit', 'Audit'], ['#/admin/cloud', 'Cloud link'], ['#/admin/ehr', 'EHR connections'], ['#/patients', 'Patients'], ['#/account', 'Account']],
};

const HOME = { provider: '#/queue', nurse: '#/queue', patient: '#/me', admin: '#/admin/users', front_desk: '#/patients' };

const main = document.getElementById('main');
const topbar = document.getElementById('topbar');
let pendingRoute = null;
let cleanup = null;
let signInNotice = null;

// A view renders into the root it is given; route() gives each navigation a fresh one, so a
// slower page that finishes after the user (or a link) moved on writes into a detached element
// and is cleaned up, instead of replacing the page that is now shown.
function routeFor(hash, role) {
  const path = hash.replace(/^#/, '') || '/';
  let m;
  if (path === '/' || path === '') return null;
  if (path === '/account') return (root) => renderAccount(root);
  if (path === '/schedule') return (root) => renderSchedule(root);
  if ((role === 'patient' && path === '/see-now') || (role === 'provider' && path === '/on-demand')) return (root) => renderOnDemand(root);
  if ((role === 'provider' || role === 'nurse') && path === '/queue') return (root) => renderQueue(root);
  if ((role === 'provider' || role === 'nurse') && path === '/worklist') return (root) => renderWorklist(root);
  if (role !== 'patient' && path === '/patients') return (root) => renderPatients(root);
  if ((m = /^\/patients\/(\d+)$/.exec(path))) return (root) => renderChart(root, Number(m[1]));
  if (role !== 'patient' && (m = /^\/patients\/(\d+)\/consents$/.exec(path))) return (root) => renderPatientConsents(root, Number(m[1]));
  if (role === 'patient' && path === '/consents') return (root) => renderConsents(root);
  if (role !== 'patient' && (m = /^\/patients\/(\d+)\/record$/.exec(path))) return (root) => renderRecord(root, Number(m[1]));
  if (role === 'patient' && path === '/record') return (root) => renderRecord(root, null);
  if (role === 'patient' && path === '/intake') return (root) => renderIntake(root);
  if ((role === 'provider' || role === 'nurse') && (m = /^\/patients\/(\d+)\/notes$/.exec(path))) return (root) => renderNotes(root, Number(m[1]));
  if ((role === 'provider' || role === 'nurse') && (m = /^\/patients\/(\d+)\/notes\/(\d+)$/.exec(path))) return (root) => renderNote(root, Number(m[1]), Number(m[2]));
  if (role === 'provider' && path === '/cosign') return (root) => renderCosignQueue(root);
  if ((role === 'patient' || role === 'provider' || role === 'nurse') && path === '/cases') return (root) => renderCases(root);
  if ((role === 'patient' || role === 'provider' || role === 'nurse') && (m = /^\/cases\/(\d+)$/.exec(path))) return (root) => renderCase(root, Number(m[1]));
  if ((role === 'provider' || role === 'admin') && path === '/billing') return (root) => renderBilling(root);
  if ((role === 'provider' || role === 'admin') && path === '/reports') return (root) => renderPracticeReport(root);
  if (role === 'patient' && path === '/prescriptions') return (root) => renderPrescriptions(root, null);
  if ((role === 'provider' || role === 'nurse') && (m = /^\/patients\/(\d+)\/prescriptions$/.exec(path))) return (root) => renderPrescriptions(root, Number(m[1]));
  if (role === 'provider' && path === '/signing-log') return (root) => renderSigningLog(root);
  if (role === 'patient' && path === '/summaries') return (root) => renderSummaries(root);
  if (role === 'patient' && (m = /^\/surveys\/(\d+)$/.exec(path))) return (root) => renderSurvey(root, Number(m[1]));
  if (role === 'admin' && path === '/admin/consents') return (root) => renderConsentAdmin(root);
  if (role === 'patient' && path === '/me') return (root) => renderMe(root);
  if ((role === 'provider' || role === 'nurse') && path === '/licenses') return (root) => renderMyLicenses(root);
  if ((role === 'provider' || role === 'nurse') && path === '/rules') return (root) => renderRules(root, { editable: role === 'provider' });
  if (role !== 'admin' && role !== 'front_desk' && path === '/visits') return (root) => renderVisits(root);
  if (role !== 'admin' && role !== 'front_desk' && (m = /^\/visits\/(\d+)$/.exec(path))) return (root) => renderVisit(root, Number(m[1]));
  if (role === 'admin' && (m = /^\/admin\/([a-z-]+)$/.exec(path))) return (root) => renderAdmin(root, m[1]);
  return undefined;
}

function renderTopbar() {
  clear(topbar);
  const s = session();
  const brand = h('a.brand', { href: s ? HOME[s.user.role] || '#/' : '#/' },
    h('span.logo', { 'aria-hidden': 'true' }), h('span', 'Vigil'), h('span.brand-sub', 'Remote monitoring'));
  if (!s || s.stage !== 'full') {
    topbar.append(h('div.bar', brand));
    return;
  }
  const links = (NAV[s.user.role] || []).map(([href, label]) => {
    const link = h('a.nav-link', { href, 'aria-current': location.hash.startsWith(href) ? 'page' : undefined }, label);
    if (href === '#/worklist') {
      // The worklist's count, live (worklist_badge.js): also "(N)" before the tab's title.
      const badge = h('span.nav-count#worklist-count', { hidden: true });
      link.append(' ', badge);
      worklistBadge.attach(badge);
    }
    return link;
  });
  const liveDot = h('span.live', { role: 'status', 'aria-live': 'polite' });
  live.onLiveStatus((st) => {
    liveDot.className = `live live-${st}`;
    liveDot.textContent = { live: 'Live', connecting: 'Connecting…', retrying: 'Reconnecting…', unavailable: 'Live updates unavailable', off: '' }[st] || '';
  });
  topbar.append(h('div.bar', brand,
    h('nav.nav', { 'aria-label': 'Main' }, links),
    h('div.who', (s.user.role === 'provider' || s.user.role === 'nurse') ? liveDot : null,
      h('span.user', h('span.user-name', s.user.displayName || 'Signed in'), h('span.user-role', s.user.role.replace('_', ' '))),
      h('button.btn.ghost#signout', { type: 'button', onclick: () => logout() }, 'Sign out'))));
}

// Navigations in order: a view whose rendering finishes after a newer navigation started is
// stale; its cleanup runs at once and its errors are not shown.
let routeGeneration = 0;

async function route() {
  const generation = ++routeGeneration;
  if (cleanup) { try { cleanup(); } catch { /* view gone */ } cleanup = null; }
  const s = session();
  renderTopbar();
  if (!s || s.stage !== 'full') {
    // An invited patient's link (issue 21): the welcome page, before any account exists.
    const welcome = /^#\/welcome\/([A-Za-z0-9_-]{43})$/.exec(location.hash);
    if (welcome && !s) {
      clear(main);
      const root = h('div.view');
      main.append(root);
      document.title = 'Welcome — Vigil';
      await renderWelcome(root, welcome[1]);
      focusHeading(main);
      return;
    }
    if (location.hash && location.hash.startsWith('#/') && !location.hash.startsWith('#/welcome')) pendingRoute = location.hash;
    cleanup = renderSignIn(main, { notice: signInNotice });
    signInNotice = null;
    document.title = 'Sign in — Vigil';
    return;
  }
  const role = s.user.role;
  let view = routeFor(location.hash, role);
  if (view === null) {
    location.replace(HOME[role] || '#/account');
    return;
  }
  if (view === undefined) {
    clear(main).append(h('section.page', h('h1', 'Page not found'),
      h('p', 'This page does not exist or is not part of your role.'),
      h('p', h('a', { href: HOME[role] }, 'Go to your start page'))));
    focusHeading(main);
    return;
  }
  const root = h('div.view');
  clear(main).append(root);
  try {
    const done = (await view(root)) || null;
    if (generation !== routeGeneration) {
      if (done) { try { done(); } catch { /* view gone */ } }
      return;
    }
    cleanup = done;
  } catch (e) {
    if (generation !== routeGeneration) return;
    showError(e);
  }
  focusHeading(main);
}

export function showError(e) {
  const denied = e instanceof ApiError && e.status === 403;
  const s = session();
  const m = /^#\/patients\/(\d+)$/.exec(location.hash);
  const clinician = s && (s.user.role === 'provider' || s.user.role === 'nurse');
  clear(main).append(h('section.page', h('h1', denied ? 'Access denied' : 'Something went wrong'),
    h('div.notice.error', { role: 'alert' }, denied
      ? 'You do not have access to this record. The attempt has been recorded.'
      : (e && e.message) || 'Unexpected error.'),
    denied && clinician && m ? emergencyAccessForm(Number(m[1])) : null,
    h('p', h('a', { href: '#/' }, 'Back to your start page'))));
}

// Break-glass (issue 17): a clinician outside the patient's care team may open the record in an
// emergency, with a reason; the server audits it (break_glass = 1) for admins to review and
// allows it for 30 minutes.
function emergencyAccessForm(patientId) {
  return reasonForm({
    id: 'ea',
    className: 'card.emergency',
    heading: 'Emergency access',
    hint: 'In an emergency you may open this record for 30 minutes. Give the reason: it is recorded with every access and reviewed by the practice administrators.',
    button: 'Open emergency access',
    missing: 'A reason is required for emergency access.',
    onSubmit: async (reason) => {
      const r = await post(`/api/v1/patients/${patientId}/emergency-access`, { reason });
      announce(`Emergency access open until ${new Date(r.until).toLocaleTimeString()}`);
      route();
    },
  });
}

onSessionChange((s, reason) => {
  if (s && s.stage === 'full') {
    startIdleWatch();
    if (reason === 'signed_in' || reason === 'loaded') startEscalationWatch(document.getElementById('escalations'));
    if (reason === 'signed_in') {
      const target = pendingRoute && routeFor(pendingRoute, s.user.role) ? pendingRoute : HOME[s.user.role];
      pendingRoute = null;
      if (location.hash !== target) { location.hash = target; return; }
    }
    if (reason === 'signed_in' || reason === 'loaded') route();
    return;
  }
  if (!s) {
    stopIdleWatch();
    stopEscalationWatch();
    worklistBadge.detach();
    live.stop();
    if (reason === 'expired') signInNotice = 'You were signed out after a period of inactivity. Sign in again to continue.';
    else if (reason === 'ended') signInNotice = 'Your session has ended. Sign in again to continue.';
    else if (reason === 'signed_out') { signInNotice = 'You have signed out.'; announce('Signed out'); }
    else if (reason === 'password_changed') signInNotice = 'Password changed. Sign in with your new password.';
    if (reason !== 'none') route();
  }
});

window.addEventListener('hashchange', () => {
  if (location.hash === '#main') return; // skip link
  route();
});

document.querySelector('.skip').addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});

(async function boot() {
  try {
    await loadSession();
  } catch {
    // the box is unreachable or the API missing: show sign-in with the error there
  }
  route();
})();
