// The patient's own view: their readings as charts and their devices with last-seen times, and
// while their intake is open a notice leading to it.

import { clear } from '../dom.js';
import { get } from '../api.js';
import { renderChart } from './chart.js';
import { intakeNotice } from './intake.js';

export async function renderMe(root) {
  clear(root);
  const me = await get('/api/v1/me');
  const result = await renderChart(root, me.patientId, { own: true, patient: me.patient });
  // While the intake is open, a notice above the charts leads to the wizard (#/intake).
  const notice = await intakeNotice(me.patientId);
  if (notice && root.isConnected !== false) root.prepend(notice);
  return result;
}
