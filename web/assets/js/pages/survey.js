// Patient satisfaction (issue 30, docs/reports.md "Patient satisfaction").
// - The patient's home (#/me) and visits page (#/visits) show the surveys due to them (a video
//   visit that ended in the last 14 days, not answered yet) with a link to each.
// - #/surveys/<visit id>: the survey as a form: two radio groups in fieldsets with legends
//   (1–5 and 0–10), a labelled comment box (optional, at most 2,000 characters) and Submit; a
//   thank-you on success. A refusal (answered already, closed, not this patient's visit) is
//   shown in words, in an alert, with the form gone.

import { h, clear, field, announce, uid, focusHeading } from '../dom.js';
import { get, post, ApiError } from '../api.js';
import { formatTime } from '../format.js';

const MAX_COMMENT = 2000;

const REFUSALS = {
  already_answered: 'You have already answered the survey about this visit. Thank you.',
  survey_expired: 'This survey is closed: surveys can be answered for 14 days after the visit.',
  visit_not_ended: 'This visit has not ended yet. The survey opens when it ends.',
  patient_not_joined: 'There is no survey for this visit: you did not join it.',
  not_found: 'There is no such visit.',
};

function refusalText(err) {
  if (err instanceof ApiError && REFUSALS[err.code]) return REFUSALS[err.code];
  if (err instanceof ApiError && err.status === 422) return err.message;
  if (err instanceof ApiError && err.status === 403) return 'This survey is about someone else\'s visit.';
  return 'Something went wrong. Please try again.';
}

/** The surveys due to the signed-in patient ([] when none or when surveys are not built). */
export async function pendingSurveys() {
  try {
    return (await get('/api/v1/surveys/pending')).items || [];
  } catch {
    return [];
  }
}

/** A card listing the due surveys with a link to each, or null when none are due. */
export async function surveysCard() {
  const items = await pendingSurveys();
  if (!items.length) return null;
  return h('section.card.survey-due', { 'aria-labelledby': 'surveys-due-title' },
    h('h2#surveys-due-title', 'Tell us about your visit'),
    h('ul.survey-list', items.map((s) => h('li',
      h('span', `Video visit${s.providerName ? ` with ${s.providerName}` : ''}, ended ${formatTime(s.endedAt)}. `,
        `Open until ${formatTime(s.answerBy)}.`), ' ',
      h('a.btn.small', { href: `#/surveys/${s.visitId}`, 'aria-label': `Answer the survey about visit ${s.visitId}` },
        'Answer the survey')))));
}

/** A radio group 0..n in a fieldset: value, label per choice. */
function scale(name, legend, hint, from, to, lowLabel, highLabel) {
  const hintId = uid('hint');
  const choices = [];
  for (let v = from; v <= to; v += 1) {
    const id = `${name}-${v}`;
    const label = v === from ? `${v} (${lowLabel})` : v === to ? `${v} (${highLabel})` : String(v);
    choices.push(h('span.scale-choice',
      h('input', { type: 'radio', name, id, value: String(v) }),
      h('label', { for: id }, label)));
  }
  return h('fieldset.scale', { 'aria-describedby': hintId },
    h('legend', legend), h('p.hint', { id: hintId }, hint), h('div.scale-choices', choices));
}

function chosen(form, name) {
  const input = form.querySelector(`input[name="${name}"]:checked`);
  return input ? Number(input.value) : null;
}

export async function renderSurvey(root, visitId) {
  clear(root);
  const error = h('div.notice.error', { role: 'alert', hidden: true });
  const page = h('section.page', h('h1', 'How was your video visit?'));
  const comment = field('Anything else you would like to tell us? (optional)',
    { tag: 'textarea', name: 'comment', rows: 4, maxLength: MAX_COMMENT },
    `At most ${MAX_COMMENT.toLocaleString('en-US')} characters. Please do not include anything urgent: contact your care team for that.`);
  const submit = h('button.btn.primary', { type: 'submit' }, 'Submit');
  const form = h('form.survey-form', { noValidate: true },
    scale('rating', 'Overall, how would you rate this visit?', 'Choose from 1 (very poor) to 5 (excellent).',
      1, 5, 'very poor', 'excellent'),
    scale('recommend', 'How likely are you to recommend us to a friend or family member?',
      'Choose from 0 (not at all likely) to 10 (extremely likely).', 0, 10, 'not at all likely', 'extremely likely'),
    comment.el, error, submit);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    const rating = chosen(form, 'rating');
    const recommend = chosen(form, 'recommend');
    if (rating === null || recommend === null) {
      error.textContent = rating === null ? 'Please choose a rating from 1 to 5.' : 'Please choose how likely you are to recommend us, from 0 to 10.';
      error.hidden = false;
      return;
    }
    submit.disabled = true;
    try {
      await post(`/api/v1/visits/${visitId}/survey`, { rating, recommend, comment: comment.input.value });
      clear(page);
      page.append(h('h1', 'Thank you'),
        h('p.notice.success', { role: 'status' }, 'Thank you for telling us about your visit. Your answers help us care for you better.'),
        h('p', h('a', { href: '#/me' }, 'Back to my page')));
      announce('Survey sent. Thank you.');
      focusHeading(page);
    } catch (err) {
      submit.disabled = false;
      error.textContent = refusalText(err);
      error.hidden = false;
      if (err instanceof ApiError && err.status !== 422) {
        // A refusal that another try would not change: the form goes, the reason stays.
        form.replaceWith(h('div.notice.error.survey-refused', { role: 'alert' }, refusalText(err)),
          h('p', h('a', { href: '#/me' }, 'Back to my page')));
      }
    }
  });
  page.append(h('p', 'Two questions about your video visit. It takes about a minute.'), form);
  root.append(page);
}
