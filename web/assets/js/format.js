// How vitals, severities and times are shown. Severity is never colour alone: every badge has
// its word and an icon shape.

import { h, svg } from './dom.js';

export const VITALS = {
  '85354-9': { label: 'Blood pressure', short: 'BP', unit: 'mmHg', components: ['8480-6', '8462-4'], componentLabels: ['Systolic', 'Diastolic'] },
  '8480-6': { label: 'Systolic blood pressure', short: 'SYS', unit: 'mmHg' },
  '8462-4': { label: 'Diastolic blood pressure', short: 'DIA', unit: 'mmHg' },
  '8867-4': { label: 'Heart rate', short: 'HR', unit: '/min' },
  '59408-5': { label: 'Oxygen saturation', short: 'SpO₂', unit: '%' },
  '2708-6': { label: 'Oxygen saturation', short: 'SpO₂', unit: '%' },
  '29463-7': { label: 'Body weight', short: 'Weight', unit: 'kg' },
  '8310-5': { label: 'Body temperature', short: 'Temp', unit: '°C' },
  '2339-0': { label: 'Glucose', short: 'Glucose', unit: 'mg/dL' },
  '15074-8': { label: 'Glucose', short: 'Glucose', unit: 'mmol/L' },
};

/** The codes shown as columns in the patient list, in order. */
export const LIST_CODES = ['85354-9', '8867-4', '59408-5', '29463-7'];

const UNIT_LABELS = { 'mm[Hg]': 'mmHg', '/min': '/min', '%': '%', kg: 'kg', Cel: '°C', 'mg/dL': 'mg/dL', 'mmol/L': 'mmol/L' };

export function unitLabel(ucum, code) {
  return UNIT_LABELS[ucum] || ucum || (VITALS[code] ? VITALS[code].unit : '');
}

export function vitalLabel(code) {
  return VITALS[code] ? VITALS[code].label : code;
}

export const SEVERITIES = ['critical', 'high', 'low', 'info'];
// Severity is a priority, never a bare "Low"/"High" that reads as the value's direction (issue 17).
const SEVERITY_TEXT = { critical: 'Critical', high: 'High priority', low: 'Low priority', info: 'Info' };

function severityIcon(sev) {
  // critical: octagon, high: triangle, low: circle, info: square — distinguishable without colour.
  const s = { width: 14, height: 14, viewBox: '0 0 14 14', 'aria-hidden': 'true', focusable: 'false' };
  if (sev === 'critical') return svg('svg', s, svg('polygon', { points: '4,0 10,0 14,4 14,10 10,14 4,14 0,10 0,4', fill: 'currentColor' }));
  if (sev === 'high') return svg('svg', s, svg('polygon', { points: '7,0 14,13 0,13', fill: 'currentColor' }));
  if (sev === 'low') return svg('svg', s, svg('circle', { cx: 7, cy: 7, r: 6, fill: 'currentColor' }));
  return svg('svg', s, svg('rect', { x: 1, y: 1, width: 12, height: 12, rx: 2, fill: 'currentColor' }));
}

export function severityBadge(sev) {
  return h(`span.badge.sev-${sev}`, severityIcon(sev), h('span', SEVERITY_TEXT[sev] || sev));
}

const STATE_TEXT = { open: 'Open', claimed: 'Claimed', acknowledged: 'Acknowledged', escalated: 'Escalated', resolved: 'Resolved' };
export function stateBadge(state) {
  return h(`span.state.state-${state}`, STATE_TEXT[state] || state);
}

export function parseTime(t) {
  if (t === null || t === undefined) return null;
  return typeof t === 'number' ? new Date(t) : new Date(t);
}

export function formatTime(t) {
  const d = parseTime(t);
  if (!d || Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function formatAge(t, now = Date.now()) {
  const d = parseTime(t);
  if (!d) return '—';
  const s = Math.max(0, Math.round((now - d.getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const hrs = Math.round(m / 60);
  if (hrs < 48) return `${hrs} h ago`;
  return `${Math.round(hrs / 24)} d ago`;
}

/** "168/101" for a BP panel, "88" for a scalar; '—' when missing. */
export function formatLatest(code, latest) {
  if (!latest) return '—';
  if (latest.components) {
    const comps = (VITALS[code] && VITALS[code].components) || Object.keys(latest.components);
    return comps.map((c) => fmtNum(latest.components[c])).join('/');
  }
  return fmtNum(latest.value);
}

export function fmtNum(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return Math.abs(v) >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10);
}

export function patientName(p) {
  if (!p) return '';
  return [p.givenName, p.familyName].filter(Boolean).join(' ') || `Patient ${p.id}`;
}
