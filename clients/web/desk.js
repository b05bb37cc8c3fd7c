/*
 * desk.js: the check-in desk for officials (desk.html).
 *
 * Design.  The desk signs in with a desk (or official) token through
 * scan.js's AuthClient and sends everything through the same Outbox as the
 * scanner: check-ins (a `checkins` scan of the bib) and the pickup ops
 * assign, pair, swap and transfer (PROTOCOL.md "Check-in"), numbered from
 * the desk's device, queued and resent across disconnects; each answer
 * comes on scans/<dev>.  There is no participant search topic: the
 * participants come from GET /api/results.json once (every race; ?race=
 * keeps one), and from the topic checkin/<race> of each race, whose
 * snapshot rows are the no-shows (a registration without a bib among them,
 * with `bib` null and its `reg`) and whose deltas are the athletes whose
 * check-in changed (`in`); both carry the counts per race and wave.  The
 * answers to the desk's own scans and the topic `audit` (the trail of bib
 * and chip changes, shown newest first) keep the list right after an
 * assign, a swap or a transfer.
 *
 * An athlete is selected from a hit (its name), a no-show, or Enter on a
 * registration code; the panel then offers what fits: for a registration
 * without a bib "Assign next bib" (the server picks the next free bib of
 * the race's bib_pool) or a bib typed from the desk's stack, for an
 * athlete with one "Pair chip"; both take the chip field, into which a
 * keyboard-wedge reader types (its Enter does the highlighted action); swap
 * and transfer with a reason.
 *
 * Invariants: an athlete is shown checked in exactly when its race's topic
 * has delivered a snapshot and it is not among the no-shows; the counts
 * shown are the server's, never recomputed here; a part is keyed by its
 * bib, or by its reg while it has none (state.byBib, state.byReg index
 * state.parts).
 */
import { connBadge, fmtClockOf, followClockZone } from './common.js';
import { fold } from './board.js';
import { api } from './protocol.js';
import { AuthClient, CODE_MAX, Outbox, answerView, tokenFrom, showStop } from './scan.js';
import { connSentence, errorSentence } from './words.js';

const params = new URLSearchParams(location.search);
const TOKEN_KEY = 'splitline.desk.token';
const $ = (id) => document.getElementById(id);
const MAX_HITS = 30;
const MAX_NOSHOWS = 300;
const MAX_AUDIT = 200;
const ID_RE = /^[A-Za-z0-9_.+-]{1,64}$/;
/* The audit trail's `op` (PROTOCOL.md "Topics", audit) in words. */
const AUDIT_OP = {
  assign: 'bib given', pair: 'chip paired', swap: 'bibs swapped', transfer: 'entry transferred', undo: 'check-in undone',
  penalty: 'penalty', dq: 'disqualified', dns: 'did not start', dnf: 'did not finish', scratch: 'scratched',
  exhibition: 'exhibition', relegation: 'relegated', place: "judges' place", station: 'station', hand_time: 'hand time',
  wave_start: 'wave start', race_official: 'results official', lineup: 'line-up', passing: 'time entered by hand',
  read_void: 'read voided', read_restore: 'read restored',
};

const state = {
  parts: [], // {bib|null, reg|null, name, race, wave, sex, age, club, text: fold(name)}
  byBib: new Map(),
  byReg: new Map(),
  sorted: true,
  races: new Map(), // race -> {name, loaded, n, checked_in, no_shows, waves, noShow: Map nsKey -> row}
  audit: new Map(), // i -> row
  only: params.get('race'),
  sel: null, // the selected part
};

function raceState(id) {
  let r = state.races.get(id);
  if (!r) {
    r = { name: id, loaded: false, n: 0, checked_in: 0, no_shows: 0, waves: [], noShow: new Map() };
    state.races.set(id, r);
  }
  return r;
}

const str = (v) => (v == null || v === '' ? null : String(v));
const nsKey = (row) => (str(row.bib) ? String(row.bib) : `reg:${row.reg}`);
const partKey = (p) => (p.bib ? p.bib : `reg:${p.reg}`);

/* A row naming an athlete (bib and/or reg, name, race, wave) into the list; returns the part. */
function upsert(row, raceId) {
  const bib = str(row.bib);
  const reg = str(row.reg);
  if (!bib && !reg) return null;
  let p = bib ? state.byBib.get(bib) : null;
  if (!p && reg) {
    const q = state.byReg.get(reg);
    if (q && (!q.bib || !bib)) p = q; // a registration that has its bib now
  }
  if (!p) {
    p = { bib: null, reg: null, name: '', race: raceId || '', wave: '', sex: '', age: null, club: '', text: '' };
    state.parts.push(p);
  }
  if (bib && p.bib !== bib) {
    if (p.bib && state.byBib.get(p.bib) === p) state.byBib.delete(p.bib);
    p.bib = bib;
    state.byBib.set(bib, p);
  }
  if (reg && p.reg !== reg) {
    const q = state.byReg.get(reg);
    if (q && q !== p) q.reg = null;
    if (p.reg && state.byReg.get(p.reg) === p) state.byReg.delete(p.reg);
    p.reg = reg;
    state.byReg.set(reg, p);
  }
  if (typeof row.name === 'string') setPerson(p, row);
  if (str(row.race)) p.race = String(row.race);
  else if (raceId && !p.race) p.race = raceId;
  if (row.wave != null) p.wave = String(row.wave);
  state.sorted = false;
  return p;
}

/* A person's fields (name, sex, age, club: a row, an audit's `to`) onto a part. */
function setPerson(p, x) {
  if (!x || typeof x !== 'object') return;
  if (typeof x.name === 'string') {
    p.name = x.name;
    p.text = fold(x.name);
  }
  if (x.sex !== undefined) p.sex = str(x.sex) || '';
  if (x.age !== undefined) p.age = typeof x.age === 'number' ? x.age : null;
  if (x.club !== undefined) p.club = str(x.club) || '';
}

/* "F 34 · Running Club Oslo · marathon wave 2": what tells two athletes of one name apart. */
function personLine(p) {
  const who = [p.sex, p.age != null ? String(p.age) : ''].filter(Boolean).join(' ');
  const race = p.race ? `${raceName(p.race)}${p.wave ? ` wave ${p.wave}` : ''}` : '';
  return [who || 'sex and age unknown', p.club || 'no club', race, p.reg ? `reg ${p.reg}` : ''].filter(Boolean).join(' · ');
}

function raceName(id) {
  const r = state.races.get(id);
  return r && r.name && r.name !== id ? r.name : id;
}

function sortedParts() {
  if (!state.sorted) {
    state.parts.sort((a, b) => (a.bib && b.bib ? cmpBib(a.bib, b.bib) : a.bib ? -1 : b.bib ? 1 : (a.name || '').localeCompare(b.name || '')));
    state.sorted = true;
  }
  return state.parts;
}

function isIn(p) {
  const r = state.races.get(p.race);
  if (!r || !r.loaded) return null;
  return !r.noShow.has(partKey(p));
}

/* The code a QR carries, sl:<event>:<bib or reg>, read as what it names. */
function bareCode(q) {
  const m = /^sl:[^:]*:(.+)$/.exec(q);
  return m ? m[1] : q;
}

function start() {
  const token = tokenFrom(params, TOKEN_KEY);
  if (!token) {
    $('setup').hidden = false;
    $('setup-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const t = $('setup-token').value.trim();
      if (!t) return;
      localStorage.setItem(TOKEN_KEY, t);
      location.replace(location.pathname + (state.only ? `?race=${encodeURIComponent(state.only)}` : ''));
    });
    return;
  }
  $('main').hidden = false;
  const client = new AuthClient({ token });
  const badge = connBadge(client);
  const vol = $('volunteer');
  vol.value = localStorage.getItem('splitline.desk.volunteer') || '';
  vol.addEventListener('change', () => localStorage.setItem('splitline.desk.volunteer', vol.value.trim()));
  let shown = null;

  const drawAnswer = (box, answeredNow) => {
    if (answeredNow && (!shown || answeredNow.seq >= shown.seq || answeredNow === shown)) shown = answeredNow;
    $('pending').textContent = String(box.pending());
    $('device').textContent = box.dev || '?';
    $('error').textContent = box.lastError || '';
    if (!shown) return;
    const v = answerView(shown);
    const fb = $('feedback');
    fb.className = `fb ${v.cls}`;
    fb.dataset.seq = shown.seq;
    fb.dataset.warning = v.warning || '';
    fb.dataset.op = v.op || 'checkin';
    $('fb-bib').textContent = v.bigBib || '';
    $('fb-head').textContent = v.head;
    $('fb-line').textContent = v.line;
    $('fb-detail').textContent = v.detail || '';
    if (answeredNow && answeredNow.answer) {
      // The athlete the answer names is now as it says: follow it in the list and the panel.
      const a = answeredNow.answer;
      if (a.bib || a.reg) {
        const p = upsert(a, a.race);
        if (p && state.sel && (state.sel === p || (a.reg && state.sel.reg === a.reg))) state.sel = p;
      }
      redraw();
    }
  };
  const box = new Outbox(client, drawAnswer);
  client.on('stop', (why) => showStop(why, box, TOKEN_KEY, params));

  /* Queue one scan (a check-in or an op); false when refused here. */
  const send = (code, race, extra = {}) => {
    const x = { volunteer: vol.value.trim(), ...extra };
    if (state.only && race === state.only) x.race = race;
    const it = box.add(code, x);
    if (typeof it === 'string') {
      $('error').textContent = it;
      return false;
    }
    $('error').textContent = '';
    shown = it;
    drawAnswer(box, null);
    return true;
  };
  const checkIn = (code, race) => send(code, race);

  /* ---- the selected athlete and its actions ---- */

  const actErr = (m) => {
    $('act-error').textContent = m || '';
    return false;
  };
  const select = (p) => {
    state.sel = p;
    $('chip').value = '';
    $('give-bib').value = '';
    actErr('');
    drawAct();
    $('act').scrollIntoView({ block: 'nearest' });
    $('chip').focus();
  };
  const drawAct = () => {
    const p = state.sel;
    const box_ = $('act');
    box_.hidden = !p;
    if (!p) return;
    box_.dataset.bib = p.bib || '';
    box_.dataset.reg = p.reg || '';
    const who = $('act-who');
    who.textContent = '';
    const b = document.createElement('span');
    b.className = 'a-bib';
    b.textContent = p.bib ? p.bib : 'no bib';
    const st = isIn(p);
    who.append(b, `${p.name || '?'}  · ${personLine(p)}${st === null ? '' : st ? '  · checked in' : '  · not checked in'}`);
    $('act-nobib').hidden = !!p.bib;
    $('act-bib').hidden = !p.bib;
    const given = $('give-bib').value.trim();
    $('do-assign-next').classList.toggle('primary', !given);
    $('do-assign').classList.toggle('primary', !!given);
  };
  const chipValue = () => {
    const c = $('chip').value.trim();
    if (c && new TextEncoder().encode(c).length > CODE_MAX) return actErr(`chip too long (over ${CODE_MAX} bytes)`) && null;
    return c;
  };
  const selCode = () => state.sel && (state.sel.bib || state.sel.reg);
  const assign = (bib) => {
    const p = state.sel;
    if (!p) return false;
    const chip = chipValue();
    if (chip === false || chip === null) return false;
    if (bib != null && !ID_RE.test(bib)) return actErr(`bib '${bib}' is not a bib (letters, digits, _ . - +)`);
    const ok = send(selCode(), p.race, { op: 'assign', bib: bib || undefined, chip: chip || undefined });
    if (ok) {
      $('chip').value = '';
      $('give-bib').value = '';
      actErr('');
    }
    return ok;
  };
  const pair = () => {
    const p = state.sel;
    if (!p) return false;
    const chip = chipValue();
    if (chip === false || chip === null) return false;
    if (!chip) return actErr('scan or type the chip first');
    const ok = send(selCode(), p.race, { op: 'pair', chip });
    if (ok) {
      $('chip').value = '';
      actErr('');
    }
    return ok;
  };
  const swap = () => {
    const p = state.sel;
    if (!p) return false;
    const w = bareCode($('swap-with').value.trim());
    if (!w) return actErr('type the other bib');
    if (!ID_RE.test(w)) return actErr(`'${w}' is not a bib`);
    const reason = $('swap-reason').value.trim();
    const ok = send(selCode(), p.race, { op: 'swap', with: w, reason: reason || undefined });
    if (ok) {
      $('swap-with').value = '';
      $('swap-reason').value = '';
      actErr('');
    }
    return ok;
  };
  const transfer = () => {
    const p = state.sel;
    if (!p) return false;
    const to = { name: $('tr-name').value.trim() };
    if (!to.name) return actErr('the new person needs a name');
    const sex = $('tr-sex').value;
    if (sex) to.sex = sex;
    const age = $('tr-age').value.trim();
    if (age) {
      if (!/^\d{1,3}$/.test(age)) return actErr(`age '${age}' is not a number of years`);
      to.age = Number(age);
    }
    const birth = $('tr-birth').value;
    if (birth) to.birth = birth;
    const club = $('tr-club').value.trim();
    if (club) to.club = club;
    const reason = $('tr-reason').value.trim();
    const ok = send(selCode(), p.race, { op: 'transfer', to, reason: reason || undefined });
    if (ok) {
      for (const id of ['tr-name', 'tr-age', 'tr-birth', 'tr-club', 'tr-reason']) $(id).value = '';
      $('tr-sex').value = '';
      actErr('');
    }
    return ok;
  };
  $('do-assign-next').addEventListener('click', () => assign(null));
  $('do-assign').addEventListener('click', () => {
    const b = $('give-bib').value.trim();
    if (!b) return actErr('type the bib from your stack, or use "Assign next bib"');
    return assign(b);
  });
  $('do-pair').addEventListener('click', pair);
  $('do-checkin').addEventListener('click', () => state.sel && checkIn(state.sel.bib, state.sel.race));
  $('do-swap').addEventListener('click', swap);
  $('do-transfer').addEventListener('click', transfer);
  $('act-close').addEventListener('click', () => {
    state.sel = null;
    drawAct();
    $('q').focus();
  });
  $('give-bib').addEventListener('input', drawAct);
  const onEnter = (id, fn) =>
    $(id).addEventListener('keydown', (e) => {
      if (e.key !== 'Enter') return;
      e.preventDefault();
      fn();
    });
  // A wedge reader types the chip and Enter: that does the highlighted action.
  onEnter('chip', () => {
    const p = state.sel;
    if (!p) return;
    if (p.bib) pair();
    else {
      const b = $('give-bib').value.trim();
      assign(b || null);
    }
  });
  onEnter('give-bib', () => $('give-bib').value.trim() && assign($('give-bib').value.trim()));
  onEnter('swap-with', swap);
  onEnter('swap-reason', swap);
  onEnter('tr-reason', transfer);

  /* ---- counts, no-shows, hits, audit ---- */

  const drawCounts = () => {
    const tb = $('counts');
    tb.textContent = '';
    for (const [id, r] of state.races) {
      const tr = document.createElement('tr');
      tr.className = 'c-race';
      tr.dataset.race = id;
      tr.dataset.in = r.checked_in;
      tr.dataset.n = r.n;
      tr.dataset.noShows = r.no_shows;
      tr.innerHTML = '<th scope="row"></th><td class="c-in"></td><td class="c-n"></td><td class="c-ns"></td>';
      tr.children[0].textContent = r.name === id ? id : `${r.name} (${id})`;
      tr.children[1].textContent = r.loaded ? String(r.checked_in) : '…';
      tr.children[2].textContent = r.loaded ? String(r.n) : '…';
      tr.children[3].textContent = r.loaded ? String(r.no_shows) : '…';
      tb.appendChild(tr);
      for (const w of r.waves) {
        const wr = document.createElement('tr');
        wr.className = 'c-wave';
        wr.dataset.race = id;
        wr.dataset.wave = w.wave;
        wr.dataset.in = w.checked_in;
        wr.dataset.n = w.n;
        wr.innerHTML = '<th scope="row"></th><td></td><td></td><td></td>';
        wr.children[0].textContent = `  wave ${w.wave}`;
        wr.children[1].textContent = String(w.checked_in);
        wr.children[2].textContent = String(w.n);
        wr.children[3].textContent = String(w.n - w.checked_in);
        tb.appendChild(wr);
      }
    }
  };

  const drawNoShows = () => {
    const sel = $('ns-race');
    const want = sel.value || [...state.races.keys()][0];
    if (sel.options.length !== state.races.size) {
      sel.textContent = '';
      for (const id of state.races.keys()) {
        const o = document.createElement('option');
        o.value = o.textContent = id;
        sel.appendChild(o);
      }
      if (want) sel.value = want;
    }
    const r = state.races.get(want);
    const ol = $('noshows');
    ol.textContent = '';
    if (!r) return;
    const rows = [...r.noShow.values()];
    $('ns-count').textContent = `${r.no_shows} not checked in${rows.length > MAX_NOSHOWS ? `, first ${MAX_NOSHOWS} shown` : ''}`;
    for (const row of rows.slice(0, MAX_NOSHOWS)) {
      const li = document.createElement('li');
      li.dataset.bib = row.bib ?? '';
      if (row.reg) li.dataset.reg = row.reg;
      // The name the desk knows now: a swap or a transfer moves persons without a delta here.
      const p = row.bib != null ? state.byBib.get(String(row.bib)) : state.byReg.get(row.reg);
      const name = (p && p.name) || row.name || '';
      li.textContent = row.bib != null ? `${row.bib}  ${name}${row.wave ? `  (wave ${row.wave})` : ''}` : `(no bib)  ${name}  · reg ${row.reg}`;
      ol.appendChild(li);
    }
  };

  /*
   * The hits of the search: exact bib or reg first, then bibs and regs
   * starting with it, then names holding every word of it (accents and case
   * ignored).  At most MAX_HITS are drawn, and the note says so with the
   * whole count ("Showing 30 of 412 ..."), so nobody takes the list for all.
   */
  const drawHits = () => {
    const raw = $('q').value.trim();
    const q = bareCode(raw).toLowerCase();
    const ol = $('hits');
    const note = $('hits-note');
    ol.textContent = '';
    note.dataset.shown = '0';
    note.dataset.total = '0';
    if (!q) {
      note.textContent = state.parts.length ? `${state.parts.length.toLocaleString('en-US')} participants loaded: type a bib, a name or a registration code.` : 'Loading the participants…';
      return;
    }
    const words = fold(q).split(/\s+/).filter(Boolean);
    const exact = [];
    const rest = [];
    let total = 0;
    for (const p of sortedParts()) {
      const b = p.bib ? p.bib.toLowerCase() : '';
      const g = p.reg ? p.reg.toLowerCase() : '';
      const isExact = b === q || g === q;
      if (!isExact && !((b && b.startsWith(q)) || (g && g.startsWith(q)) || (p.text && words.every((w) => p.text.includes(w))))) continue;
      total++;
      if (isExact) exact.push(p);
      else if (rest.length < MAX_HITS) rest.push(p);
    }
    const hits = exact.concat(rest).slice(0, MAX_HITS);
    note.dataset.shown = String(hits.length);
    note.dataset.total = String(total);
    note.textContent = !total ? 'Nobody found: check the spelling, or search by bib.' : total > hits.length ? `Showing ${hits.length} of ${total.toLocaleString('en-US')} matches: type more of the name, or the bib, to narrow them down.` : `${total} match${total === 1 ? '' : 'es'}.`;
    for (const p of hits) {
      const li = document.createElement('li');
      li.dataset.bib = p.bib || '';
      if (p.reg) li.dataset.reg = p.reg;
      const st = isIn(p);
      li.dataset.in = st === null ? '' : String(st);
      const bib = document.createElement('span');
      bib.className = `h-bib${p.bib ? '' : ' h-nobib'}`;
      bib.textContent = p.bib || 'no bib';
      const txt = document.createElement('a');
      txt.className = 'h-txt h-sel';
      txt.href = '#act';
      txt.title = 'Select: bib, chip, swap, transfer';
      const nm = document.createElement('span');
      nm.className = 'h-name';
      nm.textContent = p.name || '(no name)';
      const meta = document.createElement('span');
      meta.className = 'h-meta';
      meta.textContent = personLine(p);
      txt.append(nm, meta);
      txt.addEventListener('click', (e) => {
        e.preventDefault();
        select(p);
      });
      const badgeEl = document.createElement('span');
      badgeEl.className = `h-st ${st ? 'h-in' : 'h-out'}`;
      badgeEl.textContent = st === null ? '' : st ? 'checked in' : 'not checked in';
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'h-btn';
      if (p.bib) {
        btn.textContent = st ? 'Check in again' : 'Check in';
        btn.addEventListener('click', () => checkIn(p.bib, p.race));
      } else {
        btn.textContent = 'Give bib…';
        btn.addEventListener('click', () => select(p));
      }
      li.append(bib, txt, badgeEl, btn);
      ol.appendChild(li);
    }
  };

  /* The server writes instants in decisions' values as UTC ISO text: shown as clock times in the event's zone. */
  const clockText = (v) => (typeof v === 'string' ? v.replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,3})?Z/g, (iso) => fmtClockOf(Date.parse(iso)) || iso) : v);
  const personText = (x) => (x && typeof x === 'object' ? [x.name, x.sex, x.age != null ? String(x.age) : x.birth, x.club].filter(Boolean).join(', ') : '');
  const auditWhat = (a) => {
    switch (a.op) {
      case 'assign':
        return `reg ${a.reg ?? '?'} → bib ${a.bib}${a.chip ? `, chip ${a.chip}` : ''}`;
      case 'pair':
        return `chip ${a.old_chip ?? '–'} → ${a.chip}`;
      case 'swap':
        return `bib ${a.bib} ↔ bib ${a.with}: ${personText(a.from)} → ${personText(a.to)}`;
      case 'transfer':
        return `${personText(a.from)} → ${personText(a.to)}`;
      case 'undo':
        return 'check-in undone';
      default:
        // an official's decision: the value before and after, what it is about, results changed
        if (a.from !== undefined || a.to !== undefined) {
          const about = [a.race, a.pt].filter(Boolean).join(' ');
          const changed = typeof a.changed === 'number' ? `; ${a.changed} result${a.changed === 1 ? '' : 's'} changed` : '';
          return `${about ? `${about}: ` : ''}${clockText(a.from) ?? '–'} → ${clockText(a.to) ?? '–'}${changed}`;
        }
        return a.op || '';
    }
  };
  const drawAudit = () => {
    const tb = $('audit');
    tb.textContent = '';
    const rows = [...state.audit.values()].sort((a, b) => b.i - a.i).slice(0, MAX_AUDIT);
    $('audit-note').textContent = state.audit.size ? `${state.audit.size} changes${state.audit.size > MAX_AUDIT ? `, last ${MAX_AUDIT} shown` : ''}` : 'no changes yet';
    for (const a of rows) {
      const tr = document.createElement('tr');
      tr.dataset.i = a.i;
      tr.dataset.op = a.op || '';
      tr.dataset.bib = a.bib ?? '';
      const what = auditWhat(a) + (a.reason ? ` (${a.reason})` : '');
      const cells = [fmtClockOf(a.t), AUDIT_OP[a.op] || (a.op || '').replace(/_/g, ' '), a.bib ?? '', what, [a.by, a.dev].filter(Boolean).join(' on ')];
      for (const c of cells) {
        const td = document.createElement('td');
        td.textContent = String(c);
        tr.appendChild(td);
      }
      tb.appendChild(tr);
    }
  };
  /* What an audit row changed, into the list (a swap and a transfer move persons). */
  const foldAudit = (a) => {
    if (a.op === 'assign' && a.bib) upsert({ bib: a.bib, reg: a.reg });
    const setName = (bib, person) => {
      const p = bib != null && state.byBib.get(String(bib));
      if (p && person && typeof person.name === 'string') setPerson(p, person);
    };
    if (a.op === 'swap') {
      setName(a.bib, a.to);
      setName(a.with, a.from);
    } else if (a.op === 'transfer') setName(a.bib, a.to);
  };

  let drawTimer = null;
  const redraw = () => {
    if (drawTimer) return;
    drawTimer = setTimeout(() => {
      drawTimer = null;
      drawCounts();
      drawNoShows();
      drawHits();
      drawAct();
      drawAudit();
    }, 50);
  };

  client.on('message', (m) => {
    if (m.topic === 'audit') {
      for (const a of Array.isArray(m.rows) ? m.rows : []) {
        if (typeof a.i !== 'number' || state.audit.has(a.i)) continue;
        state.audit.set(a.i, a);
        foldAudit(a);
      }
      badge.touch();
      redraw();
      return;
    }
    if (typeof m.topic !== 'string' || !m.topic.startsWith('checkin/')) return;
    const id = m.topic.slice('checkin/'.length);
    const r = raceState(id);
    if (typeof m.n === 'number') r.n = m.n;
    if (typeof m.checked_in === 'number') r.checked_in = m.checked_in;
    if (typeof m.no_shows === 'number') r.no_shows = m.no_shows;
    if (Array.isArray(m.waves)) r.waves = m.waves;
    const rows = Array.isArray(m.rows) ? m.rows : [];
    for (const x of rows) upsert(x, id);
    if (m.t === 'snapshot') {
      r.noShow = new Map(rows.map((x) => [nsKey(x), x]));
      r.loaded = true;
    } else {
      for (const x of rows) {
        if (x.reg && str(x.bib)) r.noShow.delete(`reg:${x.reg}`); // it had no bib before
        if (x.in) r.noShow.delete(nsKey(x));
        else r.noShow.set(nsKey(x), x);
      }
      r.noShow = new Map([...r.noShow].sort((a, b) => cmpNs(a[1], b[1])));
    }
    badge.touch();
    redraw();
  });
  client.on('reply-error', (err, msg) => {
    // for people: a sentence, never the code (the server's words in the title)
    const why = `${err.code}: ${err.msg || ''}`;
    if (msg && msg.topic === 'audit') {
      $('audit-note').textContent = `The audit trail cannot be shown. ${errorSentence(err)}`;
      $('audit-note').title = why;
    } else if (msg && msg.topic) {
      $('error').textContent = `The check-in list of ${msg.topic.replace(/^checkin\//, 'race ')} cannot be shown. ${errorSentence(err)}`;
      $('error').title = why;
    }
  });
  client.on('state', (s, detail) => {
    $('conn-why').textContent = s === 'error' ? '' : connSentence(s, detail);
  });

  $('q').addEventListener('input', drawHits);
  $('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    // Enter on an exact bib checks it in (a wedge scanner at the desk); on
    // the code of a registration without a bib it selects it for its bib.
    const raw = $('q').value.trim();
    const q = bareCode(raw).toLowerCase();
    const p = state.parts.find((x) => x.bib && x.bib.toLowerCase() === q) || state.parts.find((x) => x.reg && x.reg.toLowerCase() === q);
    if (p && !p.bib) select(p);
    else if (p) checkIn(p.bib, p.race);
    else if (raw) checkIn(raw, state.only || '');
  });
  $('ns-race').addEventListener('change', drawNoShows);
  $('noshows').addEventListener('click', (e) => {
    const li = e.target.closest('li');
    if (!li) return;
    const p = li.dataset.bib ? state.byBib.get(li.dataset.bib) : state.byReg.get(li.dataset.reg);
    if (p) select(p);
  });
  $('forget').addEventListener('click', () => {
    if (!confirm('Forget this token?')) return;
    localStorage.removeItem(TOKEN_KEY);
    location.replace(location.pathname);
  });
  addEventListener('offline', () => client.goOffline());

  const loadParts = async () => {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(api('results.json'), { cache: 'no-cache' }); // revalidated: 304 while unchanged (ETag)
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const doc = await res.json();
        const races = Array.isArray(doc.races) ? doc.races : [];
        for (const r of races) {
          const id = String(r.race);
          if (state.only && id !== state.only) continue;
          const rs = raceState(id);
          if (r.name) rs.name = r.name;
          client.subscribe(`checkin/${id}`, { limit: 0 });
          for (const row of r.rows || []) {
            const p = upsert({ bib: row.bib, reg: row.reg, race: id, wave: row.wave ?? '' }, id);
            // The export's person, unless the desk already knows a newer one (a swap, a transfer).
            if (p && !p.name) setPerson(p, { name: row.name || '', sex: row.sex, age: row.age, club: row.club });
          }
        }
        redraw();
        return;
      } catch (e) {
        $('hits-note').textContent = 'The list of participants cannot be loaded yet: trying again…';
        $('hits-note').title = e.message;
        await new Promise((r) => setTimeout(r, Math.min(15000, 1000 * 2 ** attempt)));
      }
    }
  };
  if (state.only) client.subscribe(`checkin/${state.only}`, { limit: 0 });
  client.subscribe('audit', { offset: 0, limit: 0 });
  followClockZone(client, redraw); // the audit's times in the event's zone
  loadParts();
  globalThis.splitline = { client, box, state };
  client.start();
  redraw();
}

function cmpBib(a, b) {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/* No-shows in the server's order: bibs by cmpBib, then the registrations without one. */
function cmpNs(a, b) {
  const ba = str(a.bib);
  const bb = str(b.bib);
  if (ba && bb) return cmpBib(ba, bb);
  if (ba || bb) return ba ? -1 : 1;
  return String(a.reg).localeCompare(String(b.reg));
}

start();
