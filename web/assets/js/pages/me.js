// The patient's own view: their readings as charts and their devices with last-seen times.

import { clear } from '../dom.js';
import { get } from '../api.js';
import { renderChart } from './chart.js';

export async function renderMe(root) {
  clear(root);
  const me = await get('/api/v1/me');
  return renderChart(root, me.patientId, { own: true, patient: me.patient });
}
