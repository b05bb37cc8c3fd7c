/*
 * names.js: finding athletes by name, for pages that know nobody yet
 * (tracker, athlete page).  Pure matching (node tests: charts.test.mjs)
 * plus the loading of a race's rows over HTTP.
 *
 * Matching is fuzzy: accents and case are ignored (board.js's fold), and
 * punctuation ("Mensah, Umar"); every word typed must match a word of the
 * name, by prefix ("jo" finds "José"), or, for a typed word of 4 letters or
 * more, within one edit (a letter wrong, missing, extra or two swapped:
 * "jsoe" finds "José"), two from 8 letters.  Results rank exact words
 * first, then prefixes, then near misses; then by name.
 *
 * Rows come from GET /api/results/<race>.json (every row of the race; the
 * socket's spectator snapshot stops at 1000), fetched once per race and
 * kept: loadRaceRows() returns the same promise until reload is asked.
 */
import { fold } from './board.js';
import { api, pageScope } from './protocol.js';

/* The words of a name: folded, punctuation dropped. */
export function nameWords(s) {
  return fold(s)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .filter(Boolean);
}

/* Damerau-Levenshtein distance of a and b, or cap + 1 when it is over cap. */
export function editDistance(a, b, cap = 2) {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  const d = [];
  for (let i = 0; i <= a.length; i++) d.push([i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    let best = Infinity;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2][j - 2] + 1);
      d[i][j] = v;
      if (v < best) best = v;
    }
    if (best > cap) return cap + 1;
  }
  return Math.min(d[a.length][b.length], cap + 1);
}

/* How well one typed word matches a name's words: 3 exact, 2 prefix, 1 near miss, 0 none. */
function wordScore(q, words) {
  let best = 0;
  const cap = q.length >= 8 ? 2 : q.length >= 4 ? 1 : 0;
  for (const w of words) {
    if (w === q) return 3;
    if (w.startsWith(q)) best = Math.max(best, 2);
    else if (cap && best < 1) {
      // a near miss against the whole word, or against its start as long as the query
      const d = Math.min(editDistance(q, w, cap), editDistance(q, w.slice(0, q.length), cap));
      if (d <= cap) best = 1;
    }
  }
  return best;
}

/* The score of name for query (higher is better), or 0 when some typed word matches nothing. */
export function matchName(query, name) {
  const qs = nameWords(query);
  if (!qs.length) return 0;
  const words = nameWords(name);
  let score = 0;
  for (const q of qs) {
    const s = wordScore(q, words);
    if (!s) return 0;
    score += s;
  }
  return score;
}

/* The rows whose name matches query, best first, at most max. */
export function searchNames(rows, query, max = 20) {
  const found = [];
  for (const r of rows) {
    if (!r || !r.name) continue;
    const s = matchName(query, r.name);
    if (s) found.push({ s, r });
  }
  found.sort((a, b) => b.s - a.s || String(a.r.name).localeCompare(String(b.r.name)) || String(a.r.bib).localeCompare(String(b.r.bib)));
  return found.slice(0, max).map((x) => x.r);
}

/* Whether text looks like a bib rather than a name ("1234", "F12", "16-5"). */
export function looksLikeBib(text) {
  return /^[A-Za-z]?\d+[A-Za-z]?(-\d+)?$/.test(String(text).trim());
}

const cache = new Map(); // race -> Promise of rows

/* Every row of a race (the HTTP export), fetched once per page unless reload. */
export function loadRaceRows(race, reload = false) {
  if (!reload && cache.has(race)) return cache.get(race);
  const p = fetch(api(`results/${encodeURIComponent(race)}.json`), { cache: 'no-cache' })
    .then((res) => {
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return res.json();
    })
    .then((doc) => {
      const rows = Array.isArray(doc) ? doc : doc.rows || doc.results || [];
      for (const r of rows) if (r && !r.race) r.race = race;
      return { rows, results: doc && doc.results ? doc.results : null };
    });
  cache.set(race, p);
  p.catch(() => cache.delete(race));
  return p;
}

/* The races to search: the event topic's, else the health URL's (/health, pageScope). */
export async function eventRaces(ev) {
  if (ev && ev.known && ev.known() && ev.races().length) return ev.races().map((r) => r.id);
  try {
    const hh = await (await fetch(pageScope().health, { cache: 'no-store' })).json();
    if (Array.isArray(hh.races) && hh.races.length) return hh.races.map((r) => String(r.id || r));
    if (hh.race) return [String(hh.race)];
  } catch {
    /* no health: nothing to search */
  }
  return [];
}

/* Athletes of the event whose name matches query, best first (every race's rows, over HTTP). */
export async function findAthletes(query, ev, max = 12) {
  const races = await eventRaces(ev);
  const all = [];
  for (const race of races) {
    try {
      all.push(...(await loadRaceRows(race)).rows);
    } catch (e) {
      console.warn(`splitline: cannot load race ${race}:`, e);
    }
  }
  return searchNames(all, query, max);
}

/* The athlete page's address for a row (keeps ?event=). */
export function athleteHref(race, bib, params = new URLSearchParams(location.search)) {
  const p = new URLSearchParams();
  if (params.get('event')) p.set('event', params.get('event'));
  if (race) p.set('race', race);
  p.set('bib', bib);
  return `athlete.html?${p}`;
}
