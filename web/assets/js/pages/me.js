// The patient's own view: their readings as charts and their devices with last-seen times, and
// while their intake is open a notice leading to it; the satisfaction surveys due to them
// (issue 30) above the charts.

import { clear } from '../dom.js';
import { get } from '../api.js';
import { renderChart } from './chart.js';
import { intakeNotice } from './intake.js';
import { surveysCard } from './survey.js';

export async function renderMe(root) {
  clear(root);
  const me = await get('/api/v1/me');
  const result = await renderChart(root, me.patientId, { own: true, patient: me.patient });
  // While the intake is open, a notice above the charts leads to the wizard (#/intake).
  const notice = await intakeNotice(me.patientId);
  if (notice && root.isConnected !== false) root.prepend(notice);
  const surveys = await surveysCard();
  if (surveys && root.isConnected !== false) root.prepend(surveys);
  return result;
}
