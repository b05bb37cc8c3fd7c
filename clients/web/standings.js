/*
 * standings.js: what the series page (series.js) and the teams and awards
 * page (teams.js) share: polling while the page is visible, a table's head
 * row, and the places that are shared.
 */
import { h } from './common.js';

/* load() every ms while the page is visible; a hidden tab (a phone in a
 * pocket) does not poll, and asks at once when shown again. */
export function pollVisible(load, ms) {
  setInterval(() => {
    if (document.visibilityState !== 'hidden') load();
  }, ms);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') load();
  });
}

/* <thead> of one row of column headers: cols [[text, class], ...]. */
export function theadOf(cols) {
  const tr = h('tr');
  for (const [text, cls] of cols) {
    const th = h('th', cls, text);
    th.scope = 'col';
    tr.append(th);
  }
  const thead = h('thead');
  thead.append(tr);
  return thead;
}

/* The places (numbers; null ones skipped) that more than one row has. */
export function sharedPlaces(rows) {
  const n = new Map();
  for (const r of rows) if (r.place != null) n.set(r.place, (n.get(r.place) || 0) + 1);
  return new Set([...n].filter(([, k]) => k > 1).map(([p]) => p));
}
