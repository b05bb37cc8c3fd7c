// words.test.mjs: what the volunteer pages say (clients/web/words.js), under
// node: every `warning` of PROTOCOL.md "Check-in" and every `err` code of
// "Replies", read from PROTOCOL.md itself (a code added there and not here
// fails), and every close code of "Transport", comes out as a sentence in
// which INTERNAL_RE finds no code; the token stops are given for the tokens
// that cannot check in and for none that can.
//   node --test tests/browser/words.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { warningHead, warningSentence, errorSentence, connSentence, stopReason, INTERNAL_RE, STOP_WHAT_TO_DO } from '../../clients/web/words.js';
import { answerView } from '../../clients/web/scan.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PROTOCOL = fs.readFileSync(path.join(HERE, '..', '..', 'protocol', 'PROTOCOL.md'), 'utf8');

function section(name) {
  const i = PROTOCOL.indexOf(`\n## ${name}`);
  assert.ok(i >= 0, `PROTOCOL.md has a section ${name}`);
  const j = PROTOCOL.indexOf('\n## ', i + 4);
  return PROTOCOL.slice(i, j < 0 ? undefined : j);
}

/* The warnings: the backticked snake_case words after "`warning` is one of" and "Further warnings". */
function warnings() {
  const s = section('Check-in');
  const found = new Set();
  for (const start of ['`warning` is one of', 'Further warnings']) {
    const i = s.indexOf(start);
    assert.ok(i >= 0, `PROTOCOL.md "Check-in" still says ${start}`);
    const chunk = s.slice(i, s.indexOf('\n\n', i) < 0 ? undefined : s.indexOf('\n\n', i));
    for (const m of chunk.matchAll(/`([a-z]+(?:_[a-z]+)+)`/g)) found.add(m[1]);
  }
  const errs = new Set(errCodes()); // the paragraph also names the err a malformed field gets
  return [...found].filter((w) => w !== 'bib_pool' && !errs.has(w)); // bib_pool: a config key named in no_pool's text
}

function errCodes() {
  const s = section('Replies');
  const i = s.indexOf('Codes:');
  return [...s.slice(i, s.indexOf('An `err` never', i)).matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
}

const sentence = (what, s) => {
  assert.equal(typeof s, 'string', what);
  assert.ok(s.length > 10, `${what}: a sentence, not '${s}'`);
  assert.doesNotMatch(s, INTERNAL_RE, `${what}: '${s}' holds an internal code`);
};

test('INTERNAL_RE finds the codes volunteers saw, and not plain sentences', () => {
  for (const bad of ['unknown_code', '✗ already_checked_in', 'closed (1006)', 'closed (4001: token revoked)', 'forbidden: scans[0].op', 'unavailable: not connected']) assert.match(bad, INTERNAL_RE, bad);
  for (const ok of ['This athlete is already checked in.', 'Bib 1234 · race marathon · wave 1', 'Checked in by Ann on scan-1 at 09:12:00.']) assert.doesNotMatch(ok, INTERNAL_RE, ok);
});

test('every check-in warning of PROTOCOL.md is a head and a sentence', () => {
  const ws = warnings();
  for (const w of ['already_checked_in', 'unknown_code', 'wrong_event', 'not_registered_for_race', 'no_bib', 'has_bib', 'bib_taken', 'no_pool', 'pool_empty', 'chip_in_use', 'same_athlete', 'blank_bib']) assert.ok(ws.includes(w), `read ${w} from PROTOCOL.md (got ${ws.join(', ')})`);
  for (const w of [...ws, 'refused']) {
    sentence(`${w} head`, warningHead(w).replace(/^✗ /, '✗ x '));
    assert.notEqual(warningHead(w), warningHead('something_new'), `${w} has a head of its own`);
    sentence(`${w} sentence`, warningSentence(w));
    const v = answerView({ seq: 3, code: '1234', state: 'answered', answer: { seq: 3, code: '1234', ok: false, warning: w, msg: `race 'm' has no bib_pool: give a bib`, bib: '1234', race: 'marathon' } });
    for (const k of ['head', 'detail']) sentence(`${w} panel ${k}`, v[k]);
    assert.doesNotMatch(v.line, INTERNAL_RE, `${w} panel line`); // what was scanned
  }
  // the server's words, when they name the other athlete and hold no code, follow the sentence
  assert.match(warningSentence('bib_taken', { msg: 'bib 12 belongs to Ann Lee' }), /Bib 12 belongs to Ann Lee/);
  assert.doesNotMatch(warningSentence('no_pool', { msg: "race 'm' has no bib_pool: give a bib" }), /bib_pool/);
});

test('every err code of PROTOCOL.md "Replies" is a sentence', () => {
  const codes = errCodes();
  assert.ok(codes.length >= 12 && codes.includes('unauthorized') && codes.includes('gap'), `read the codes: ${codes.join(', ')}`);
  const seen = new Set();
  for (const c of codes) {
    const s = errorSentence({ t: 'err', code: c, msg: 'scans[0].code: expected string' });
    sentence(c, s);
    seen.add(s);
  }
  assert.ok(seen.size >= codes.length - 1, 'the codes are told apart');
  sentence('not connected', errorSentence({ code: 'unavailable', msg: 'not connected' }));
});

test('connection states and close codes are sentences', () => {
  for (const why of ['closed (1000)', 'closed (1001: going away)', 'closed (1006)', 'closed (1009)', 'closed (4001: token revoked)', 'closed (4008: too slow: outbound queue full)', 'closed (1234)', 'closed', 'offline', 'cannot read the event id from /health', 'hello refused', 'server store is down']) {
    for (const st of ['reconnecting', 'delayed', 'error']) sentence(`${st} ${why}`, connSentence(st, why));
  }
  assert.equal(connSentence('live', 'closed (1006)'), '');
  assert.match(connSentence('reconnecting', 'closed (1006)'), /lost/);
  assert.match(connSentence('reconnecting', 'closed (4001: token revoked)'), /revoked/);
});

test('a token that cannot check in is a stop, one that can is not', () => {
  const ok = (r, o) => assert.equal(stopReason({ t: 'ok', ...r }, o), null, JSON.stringify(r));
  ok({ role: 'scanner', device: 'scan-1', seqs: 'device' });
  ok({ role: 'desk', device: 'desk-1', seqs: 'device' });
  const stop = (r, o, re) => {
    const s = stopReason(r);
    assert.ok(s, `a stop for ${JSON.stringify(r)}`);
    sentence('title', s.title + ' here');
    sentence('text', s.text);
    assert.match(s.title, re);
  };
  stop({ t: 'err', code: 'unauthorized', msg: 'unknown or revoked token' }, {}, /not valid/);
  stop({ t: 'err', code: 'unauthorized', msg: 'token revoked: nothing was written' }, {}, /revoked/);
  stop({ t: 'err', code: 'not_found', msg: "event 'x' not found" }, {}, /Unknown event/);
  stop({ t: 'err', code: 'bad_request', msg: 'token: expected string' }, {}, /not valid/);
  stop({ t: 'ok', role: 'spectator' }, {}, /Not a check-in token/);
  stop({ t: 'ok', role: 'reader', device: 'mat-1', seqs: 'device' }, {}, /Not a check-in token/);
  stop({ t: 'ok', role: 'scanner', device: 'h-1', seqs: 'device', point: '30k' }, {}, /Not a check-in token/);
  stop({ t: 'ok', role: 'official', device: 'chief', seqs: 'server' }, {}, /Not a check-in token/);
  // a transient failure is no stop: the page retries
  assert.equal(stopReason({ t: 'err', code: 'unavailable', msg: 'store down' }), null);
  sentence('what to do', STOP_WHAT_TO_DO);
});
