/*
 * desk.js: the check-in desk for officials (desk.html).
 *
 * Design.  The desk signs in with a desk (or official) token through
 * scan.js's AuthClient and sends its check-ins through the same Outbox as
 * the scanner (a `checkins` scan of the bib from the desk's device, queued
 * and resent across disconnects; the answer from scans/<dev>).  There is no
 * participant search topic: the participants (bib, name, race, wave) come
 * from GET /api/results.json once (every race; ?race= keeps one), and who
 * is checked in from the topic checkin/<race> of each race: its snapshot's
 * rows are the no-shows, its deltas the athletes whose check-in changed
 * (`in`); both carry the counts per race and wave.
 *
 * Invariants: a bib is shown checked in exactly when its race's topic has
 * delivered a snapshot and the bib is not among the no-shows; the counts
 * shown are the server's, never recomputed here.
 */
import { connBadge } from './common.js';
import { AuthClient, Outbox, answerView, tokenFrom } from './scan.js';

const params = new URLSearchParams(location.search);
const TOKEN_KEY = 'splitline.desk.token';
const $ = (id) => document.getElementById(id);
const MAX_HITS = 30;
const MAX_NOSHOWS = 300;

const state = {
  parts: [], // {bib, name, race, wave}
  races: new Map(), // race -> {name, loaded, n, checked_in, no_shows, waves, noShow: Map bib -> row}
  only: params.get('race'),
};

function raceState(id) {
  let r = state.races.get(id);
  if (!r) {
    r = { name: id, loaded: false, n: 0, checked_in: 0, no_shows: 0, waves: [], noShow: new Map() };
    state.races.set(id, r);
  }
  return r;
}

function isIn(p) {
  const r = state.races.get(p.race);
  if (!r || !r.loaded) return null;
  return !r.noShow.has(p.bib);
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
  const client = new AuthClient({ event: params.get('event'), token });
  const badge = connBadge(client);
  const vol = $('volunteer');
  vol.value = localStorage.getItem('splitline.desk.volunteer') || '';
  vol.addEventListener('change', () => localStorage.setItem('splitline.desk.volunteer', vol.value.trim()));
  let shown = null;

  const drawAnswer = (box, answeredNow) => {
    if (answeredNow && (!shown || answeredNow.seq >= shown.seq)) shown = answeredNow;
    $('pending').textContent = String(box.pending());
    $('device').textContent = box.dev || '?';
    $('error').textContent = box.lastError || '';
    if (!shown) return;
    const v = answerView(shown);
    const fb = $('feedback');
    fb.className = `fb ${v.cls}`;
    fb.dataset.seq = shown.seq;
    fb.dataset.warning = v.warning || '';
    $('fb-head').textContent = v.head;
    $('fb-line').textContent = v.line;
    $('fb-detail').textContent = v.detail || '';
  };
  const box = new Outbox(client, drawAnswer);

  const checkIn = (bib, race) => {
    const extra = { volunteer: vol.value.trim() };
    if (state.only && race === state.only) extra.race = race;
    const it = box.add(bib, extra);
    if (typeof it === 'string') {
      $('error').textContent = it;
      return;
    }
    shown = it;
    drawAnswer(box, null);
  };

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
      li.dataset.bib = row.bib;
      li.textContent = `${row.bib}  ${row.name || ''}${row.wave ? `  (wave ${row.wave})` : ''}`;
      ol.appendChild(li);
    }
  };

  const drawHits = () => {
    const q = $('q').value.trim().toLowerCase();
    const ol = $('hits');
    ol.textContent = '';
    if (!q) {
      $('hits-note').textContent = state.parts.length ? `${state.parts.length} participants loaded` : 'loading participants…';
      return;
    }
    const exact = [];
    const rest = [];
    for (const p of state.parts) {
      const b = p.bib.toLowerCase();
      if (b === q) exact.push(p);
      else if (b.startsWith(q) || (p.name && p.name.toLowerCase().includes(q))) rest.push(p);
      if (exact.length + rest.length > 500) break;
    }
    const hits = exact.concat(rest).slice(0, MAX_HITS);
    $('hits-note').textContent = hits.length ? '' : 'nobody found';
    for (const p of hits) {
      const li = document.createElement('li');
      li.dataset.bib = p.bib;
      const st = isIn(p);
      li.dataset.in = st === null ? '' : String(st);
      const txt = document.createElement('span');
      txt.className = 'h-txt';
      txt.textContent = `${p.bib}  ${p.name || ''}  · ${p.race}${p.wave ? ` wave ${p.wave}` : ''}`;
      const badgeEl = document.createElement('span');
      badgeEl.className = `h-st ${st ? 'h-in' : 'h-out'}`;
      badgeEl.textContent = st === null ? '' : st ? 'checked in' : 'not checked in';
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'h-btn';
      btn.textContent = st ? 'Check in again' : 'Check in';
      btn.addEventListener('click', () => checkIn(p.bib, p.race));
      li.append(txt, badgeEl, btn);
      ol.appendChild(li);
    }
  };

  let drawTimer = null;
  const redraw = () => {
    if (drawTimer) return;
    drawTimer = setTimeout(() => {
      drawTimer = null;
      drawCounts();
      drawNoShows();
      drawHits();
    }, 50);
  };

  client.on('message', (m) => {
    if (typeof m.topic !== 'string' || !m.topic.startsWith('checkin/')) return;
    const id = m.topic.slice('checkin/'.length);
    const r = raceState(id);
    if (typeof m.n === 'number') r.n = m.n;
    if (typeof m.checked_in === 'number') r.checked_in = m.checked_in;
    if (typeof m.no_shows === 'number') r.no_shows = m.no_shows;
    if (Array.isArray(m.waves)) r.waves = m.waves;
    const rows = Array.isArray(m.rows) ? m.rows : [];
    if (m.t === 'snapshot') {
      r.noShow = new Map(rows.map((x) => [String(x.bib), x]));
      r.loaded = true;
    } else {
      for (const x of rows) {
        if (x.in) r.noShow.delete(String(x.bib));
        else r.noShow.set(String(x.bib), x);
      }
      r.noShow = new Map([...r.noShow].sort((a, b) => cmpBib(a[0], b[0])));
    }
    badge.touch();
    redraw();
  });
  client.on('reply-error', (err, msg) => {
    if (msg && msg.topic) $('error').textContent = `${msg.topic}: ${err.msg || err.code}`;
  });
  client.on('state', (s, detail) => {
    $('conn-why').textContent = s === 'reconnecting' || s === 'error' ? detail : '';
  });

  $('q').addEventListener('input', drawHits);
  $('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    // Enter on an exact bib checks it in (a wedge scanner at the desk).
    const q = $('q').value.trim();
    const p = state.parts.find((x) => x.bib.toLowerCase() === q.toLowerCase());
    if (p) checkIn(p.bib, p.race);
    else if (q) checkIn(q, state.only || '');
  });
  $('ns-race').addEventListener('change', drawNoShows);
  $('forget').addEventListener('click', () => {
    if (!confirm('Forget this token?')) return;
    localStorage.removeItem(TOKEN_KEY);
    location.replace(location.pathname);
  });
  addEventListener('offline', () => client.goOffline());

  const loadParts = async () => {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch('/api/results.json', { cache: 'no-store' });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const doc = await res.json();
        const races = Array.isArray(doc.races) ? doc.races : [];
        const parts = [];
        for (const r of races) {
          const id = String(r.race);
          if (state.only && id !== state.only) continue;
          const rs = raceState(id);
          if (r.name) rs.name = r.name;
          client.subscribe(`checkin/${id}`, { limit: 0 });
          for (const row of r.rows || []) parts.push({ bib: String(row.bib), name: row.name || '', race: id, wave: row.wave ?? '' });
        }
        parts.sort((a, b) => cmpBib(a.bib, b.bib));
        state.parts = parts;
        redraw();
        return;
      } catch (e) {
        $('hits-note').textContent = `cannot load participants (${e.message}); retrying`;
        await new Promise((r) => setTimeout(r, Math.min(15000, 1000 * 2 ** attempt)));
      }
    }
  };
  if (state.only) client.subscribe(`checkin/${state.only}`, { limit: 0 });
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

start();
