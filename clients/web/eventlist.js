/*
 * eventlist.js: the event directory's model (directory.html, directory.js):
 * GET /api/events.json read into a list, grouped by level, filtered by a
 * search and by "when", ordered, and each event's links.  Pure JS (no DOM,
 * no fetch): node tests check it (tests/browser/directory.test.mjs).
 *
 * The document: {"events": [{id, name, date, timezone, level, organizer,
 * venue, state, races: [{id, name, kind}]}]} (README, "Pages").  Only id is
 * needed: an entry without one is skipped, a missing name shows the id, a
 * level other than district, street or community goes under Other, a state
 * other than the four below has no badge.
 *
 * When.  An event's date is a day where it is held: "today" is the day in
 * the event's time zone (else the viewer's) at the page's now (?now= pins
 * it: common.js RaceClock).  A live event counts as today whatever its date
 * (a regatta over two days); one without a date is only under "any date".
 *
 * Order in a group: live first; then today's and coming events, soonest
 * first; then past ones, the latest first; then undated; ties by name.
 */
import { fold } from './board.js';
import { fmtDate } from './event.js';

export const LEVELS = [
  { id: 'district', label: 'District' },
  { id: 'street', label: 'Street' },
  { id: 'community', label: 'Community' },
];
export const OTHER = { id: 'other', label: 'Other' };

export const STATE_LABEL = { upcoming: 'Upcoming', live: 'Live', provisional: 'Provisional', official: 'Official' };

export const WHEN = { all: 'Any date', today: 'Today', upcoming: 'Upcoming', past: 'Past' };

const str = (v) => (typeof v === 'string' && v ? v : null);
const ISO_DAY = /^\d{4}-\d\d-\d\d$/;

/* The events of an events.json document, normalised; [] for anything else. */
export function parseEvents(doc) {
  const list = doc && Array.isArray(doc.events) ? doc.events : [];
  const out = [];
  for (const e of list) {
    const id = str(e && e.id);
    if (!id) continue;
    const races = (Array.isArray(e.races) ? e.races : [])
      .filter((r) => r && str(r.id))
      .map((r) => ({ id: r.id, name: str(r.name) || r.id, kind: str(r.kind) }));
    const date = str(e.date) && ISO_DAY.test(e.date) ? e.date : null;
    out.push({
      id,
      name: str(e.name) || id,
      date,
      timezone: str(e.timezone),
      level: LEVELS.some((l) => l.id === e.level) ? e.level : OTHER.id,
      organizer: str(e.organizer),
      venue: str(e.venue),
      state: Object.hasOwn(STATE_LABEL, e.state) ? e.state : null,
      races,
    });
  }
  return out;
}

/* The day ("YYYY-MM-DD") at epoch ms in time zone tz (the viewer's when null or unknown). */
export function dayIn(ms, tz) {
  const opts = { year: 'numeric', month: '2-digit', day: '2-digit' };
  let f;
  try {
    f = new Intl.DateTimeFormat('en-CA', tz ? { ...opts, timeZone: tz } : opts);
  } catch (e) {
    f = new Intl.DateTimeFormat('en-CA', opts); // a zone this browser does not know
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}`;
}

/* 'today', 'upcoming', 'past', or null (no date, not live) for the event at now. */
export function whenOf(ev, now) {
  if (ev.state === 'live') return 'today';
  if (!ev.date) return null;
  const today = dayIn(now, ev.timezone);
  if (ev.date === today) return 'today';
  return ev.date > today ? 'upcoming' : 'past';
}

/* Whether every word of q is in the event's name, venue, organizer, id or date (as written or shown). */
export function matches(ev, q) {
  const words = fold(q).split(/\s+/).filter(Boolean);
  if (!words.length) return true;
  const hay = fold([ev.name, ev.venue, ev.organizer, ev.id, ev.date, fmtDate(ev.date), fmtDate(ev.date, 'long')].filter(Boolean).join(' | '));
  return words.every((w) => hay.includes(w));
}

/* The sort key of the order in the header. */
function rank(ev, now) {
  const w = whenOf(ev, now);
  if (ev.state === 'live') return [0, ''];
  if (w === 'today' || w === 'upcoming') return [1, ev.date];
  if (w === 'past') return [2, ev.date];
  return [3, ''];
}

function compare(a, b, now) {
  const [ra, da] = rank(a, now);
  const [rb, db] = rank(b, now);
  if (ra !== rb) return ra - rb;
  if (da !== db) return (ra === 2 ? -1 : 1) * (da < db ? -1 : 1); // past: the latest first
  return a.name.localeCompare(b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/*
 * The events that pass the filter ({q, when}: when one of WHEN's keys), in
 * groups: [{id, label, events}] in the order District, Street, Community,
 * Other, only the groups with an event.
 */
export function groupEvents(events, { q = '', when = 'all' } = {}, now = Date.now()) {
  const shown = events.filter((ev) => matches(ev, q) && (when === 'all' || !Object.hasOwn(WHEN, when) || whenOf(ev, now) === when));
  const out = [];
  for (const g of [...LEVELS, OTHER]) {
    const evs = shown.filter((ev) => ev.level === g.id).sort((a, b) => compare(a, b, now));
    if (evs.length) out.push({ id: g.id, label: g.label, events: evs });
  }
  return out;
}

/* Whether the event has a lane or head (trial) race: the regatta page is for it. */
export function isRegatta(ev) {
  return ev.races.some((r) => r.kind === 'lanes' || r.kind === 'trial');
}

/* The event's pages under /e/<event>/: [{page, text, href}]. */
export function eventLinks(ev) {
  const base = `/e/${encodeURIComponent(ev.id)}/`;
  const links = [{ page: 'results', text: 'Results', href: base }];
  if (isRegatta(ev)) links.push({ page: 'regatta', text: 'Regatta', href: `${base}regatta.html` });
  links.push({ page: 'tracker', text: 'Tracker', href: `${base}tracker.html` });
  links.push({ page: 'kiosk', text: 'Big screen', href: `${base}kiosk.html` });
  return links;
}
