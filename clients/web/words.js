/*
 * words.js: what the volunteer pages (scan.html, desk.html) say, in
 * sentences.  The server speaks in codes (PROTOCOL.md "Replies", "Session",
 * "Check-in", the close codes of "Transport"); a volunteer at a table must
 * never read `unknown_code`, `already_checked_in` or "closed (1006)", so
 * every code the scan and check-in path can meet is mapped here to a
 * sentence that says what happened and, where there is one, what to do.
 *
 *   WARNING_HEAD / warningSentence(code, answer)  an answer's `warning`
 *   errorSentence(err)       an `err` reply to checkins, subscribe, hello
 *   connSentence(state, why) the connection's state detail (protocol.js)
 *   stopReason(hello|err)    when the token cannot be used: the full-screen
 *                            stop (null when it can)
 *   INTERNAL_RE              what an internal code looks like (the tests
 *                            check that no visible text matches it)
 *
 * Pure JS, no DOM: tests/browser/words.test.mjs checks every code of
 * PROTOCOL.md against it under node.
 */

/* Short heads for the big answer panel, one per `warning` of PROTOCOL.md "Check-in". */
export const WARNING_HEAD = {
  already_checked_in: '✗ Already checked in',
  unknown_code: '✗ Not found',
  wrong_event: '✗ Other event',
  not_registered_for_race: '✗ Wrong race',
  no_bib: '✗ No bib yet',
  has_bib: '✗ Already has a bib',
  bib_taken: '✗ Bib taken',
  no_pool: '✗ No bib to give',
  pool_empty: '✗ No free bib left',
  chip_in_use: '✗ Chip in use',
  same_athlete: '✗ Same athlete',
  blank_bib: '✗ Blank bib',
  refused: '✗ Not accepted',
};

/* One sentence per warning: what it means and what to do. */
const WARNING_TEXT = {
  already_checked_in: 'This athlete is already checked in.',
  unknown_code: 'Nobody has this bib, chip or code. Check the number, or send the athlete to the desk.',
  wrong_event: 'This QR code is for another event. Send the athlete to the desk.',
  not_registered_for_race: 'This athlete is registered for another race than the one this desk serves.',
  no_bib: 'This athlete has no bib yet: give one first ("Assign next bib").',
  has_bib: 'This athlete already has another bib: check the bib in hand.',
  bib_taken: 'That bib already belongs to another athlete: take another bib.',
  no_pool: 'This race has no bibs to hand out by itself: type a bib from your stack.',
  pool_empty: 'Every bib of this race is given out: type a bib from your stack, or ask the timing team.',
  chip_in_use: 'That chip belongs to another athlete: take another chip.',
  same_athlete: 'Both bibs are the same athlete: nothing to swap.',
  blank_bib: 'This is a blank bib nobody has yet: scan the athlete\'s own bib or code.',
  refused: 'The server did not accept this scan; it was not saved. Check what was typed, or ask the timing team.',
};

/* The server's msg names who holds a bib or chip: worth showing beside the sentence. */
const MSG_NAMES_SOMEONE = new Set(['bib_taken', 'chip_in_use', 'has_bib']);

export function warningHead(code) {
  return WARNING_HEAD[code] || '✗ Not done';
}

/*
 * The sentence for an answer's warning; answer (optional) may add the
 * server's own words when they name the other athlete ("bib 12 belongs to
 * Ann Lee") and hold no code.
 */
export function warningSentence(code, answer = null) {
  const base = WARNING_TEXT[code] || 'The server did not do this scan. Ask the timing team.';
  const msg = answer && typeof answer.msg === 'string' ? answer.msg.trim() : '';
  if (MSG_NAMES_SOMEONE.has(code) && msg && !INTERNAL_RE.test(msg)) return `${base} (${msg[0].toUpperCase()}${msg.slice(1)}.)`;
  return base;
}

/* One sentence per `err` code of PROTOCOL.md "Replies", as the scan path meets them. */
const ERROR_TEXT = {
  bad_request: 'The server did not accept this: something in it is not valid. Check what was typed.',
  unknown_type: 'This page is newer than the server: ask the timing team to update it.',
  too_large: 'That was too much to send at once: it is sent again in smaller parts.',
  unauthorized: 'This token is not valid: it is unknown or has been revoked.',
  forbidden: 'This token is not allowed to do that: ask the timing team for the right token.',
  not_found: 'The server does not know this event: check the link you were given.',
  conflict: 'That was already done by someone else.',
  unavailable: 'The server cannot save right now: your scans are kept on this device and sent again by themselves.',
  timeout: 'The server is slow to answer: your scans are kept on this device and sent again by themselves.',
  busy: 'The server is busy: your scans are kept on this device and sent again by themselves.',
  gap: 'Catching up with the server: your scans are sent again by themselves.',
  internal: 'The server had a problem: your scans are kept on this device and sent again by themselves.',
};

export function errorSentence(err) {
  const code = err && typeof err === 'object' ? err.code : err;
  if (err && err.msg === 'not connected') return 'Not connected: your scans are kept on this device and sent when the connection is back.';
  return ERROR_TEXT[code] || 'Something went wrong: your scans are kept on this device and sent again by themselves.';
}

/* WebSocket close codes (RFC 6455 and PROTOCOL.md "Transport") as sentences. */
const CLOSE_TEXT = {
  1000: 'The connection was closed. Reconnecting…',
  1001: 'The server is restarting. Reconnecting…',
  1002: 'The connection broke. Reconnecting…',
  1006: 'The connection to the server was lost. Reconnecting…',
  1009: 'The server refused a message that was too large. Reconnecting…',
  1011: 'The server had a problem. Reconnecting…',
  4001: 'This token was revoked.',
  4008: 'The connection was too slow to keep up. Reconnecting…',
};

/*
 * The connection's state and its detail (protocol.js's setState: "closed
 * (1006)", "offline", a hello's msg, a health problem) as a sentence; ''
 * when live.
 */
export function connSentence(state, why = '') {
  if (state === 'live' || state === 'connecting') return '';
  const w = String(why || '');
  const m = /^closed \((\d+)/.exec(w);
  if (m) return CLOSE_TEXT[m[1]] || 'The connection to the server was lost. Reconnecting…';
  if (w === 'offline' || (globalThis.navigator && navigator.onLine === false)) return 'This device is offline: scans are kept on it and sent when it is back online.';
  if (/health/.test(w)) return 'The server cannot be reached. Trying again…';
  if (/not found/.test(w)) return ERROR_TEXT.not_found;
  if (state === 'delayed') return /store|catching/.test(w) ? 'The server is catching up: answers may come late.' : 'The server is slow to answer: answers may come late.';
  return 'Reconnecting to the server…';
}

/* Roles whose token may send check-ins (PROTOCOL.md "Check-in"). */
const CHECKIN_ROLES = new Set(['desk', 'scanner', 'official', 'admin']);

/*
 * Why this page cannot work with its token, as {title, text}, or null when
 * it can.  from: an `err` reply to hello (or a write refused as revoked),
 * or the hello's `ok` reply (its role, device and point).  A scanner's
 * token at the desk is no stop: it checks in, and the ops it may not send
 * are answered one by one ("not allowed").
 */
export function stopReason(from) {
  if (!from || typeof from !== 'object') return null;
  if (from.t === 'err' || (from.code && from.t !== 'ok')) {
    if (from.code === 'unauthorized') {
      const revoked = /^token revoked/.test(from.msg || ''); // the server's "unknown or revoked token" cannot tell
      return { title: revoked ? 'This token was revoked' : 'This token is not valid', text: revoked ? 'The timing team has revoked the token of this device. Nothing more can be sent with it.' : 'The server does not know the token this page was given: it may be mistyped, or revoked.' };
    }
    if (from.code === 'not_found') return { title: 'Unknown event', text: ERROR_TEXT.not_found };
    if (from.code === 'bad_request') return { title: 'This token is not valid', text: 'The token or the link is not well formed: it may have been cut when it was copied.' };
    return null;
  }
  const role = from.role || 'spectator';
  if (!CHECKIN_ROLES.has(role)) return { title: 'Not a check-in token', text: `This token is for ${role === 'reader' ? 'a timing device' : 'following results'}, not for checking athletes in.` };
  if (role === 'scanner' && from.point) return { title: 'Not a check-in token', text: 'This token is for recording runners at a timing point, not for checking athletes in.' };
  if (!from.device || from.seqs === 'server') return { title: 'Not a check-in token', text: 'This token has no device of its own to number its scans: ask for a desk or scanner token.' };
  return null;
}

/* What to do after a stop, for the stop screen. */
export const STOP_WHAT_TO_DO = 'Ask the timing team for a new token, then press "Enter a new token". Scans already made on this device are kept.';

/*
 * An internal code as a volunteer must never see it: a snake_case word
 * (unknown_code), a WebSocket close code in brackets ("closed (1006)"),
 * a bare error code before a colon ("forbidden: ...").
 */
export const INTERNAL_RE = /\b[a-z]+(?:_[a-z]+)+\b|\(\d{4}\b|\b(?:bad_request|unauthorized|forbidden|not_found|unknown_type|too_large)\b|^\s*(?:unavailable|timeout|busy|internal|conflict|gap)\s*:/m;
