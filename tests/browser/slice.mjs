// slice.mjs: a small Boston 2015 for the browser tests that replay a race
// (pages.test.mjs, screens.test.mjs): every `every`-th runner of
// data/boston-2015.csv with a clean finish, written whole (the participants)
// and with every split past `cutS` seconds of the runner's race blanked (the
// reads of a replay stopped mid-race).
import fs from 'node:fs';
import path from 'node:path';
import { DATA } from './harness.mjs';

/* "H:MM:SS" -> seconds, or null. */
export function secs(s) {
  const m = /^(\d+):(\d\d):(\d\d)$/.exec(s || '');
  return m ? +m[1] * 3600 + +m[2] * 60 + +m[3] : null;
}

/* Writes the slice to `full` and its cut to `cut`; returns its runners [{bib, official: seconds}]. */
export function writeSlices(full, cut, { every, cutS }) {
  const lines = fs.readFileSync(path.join(DATA, 'boston-2015.csv'), 'utf8').split(/\r?\n/);
  const head = lines[0].split(',');
  const first = head.indexOf('5K');
  const last = head.indexOf('Official Time');
  const outFull = [lines[0]];
  const outCut = [lines[0]];
  const runners = [];
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i] || (i - 1) % every !== 0) continue;
    if (!/,\d+:\d\d:\d\d,\d+,\d+,\d+$/.test(lines[i])) continue;
    outFull.push(lines[i]);
    // "Last, First" is the only quoted field: split around it
    const m = /^([^,]*),("[^"]*"|[^,]*),(.*)$/.exec(lines[i]);
    const cells = [m[1], m[2], ...m[3].split(',')];
    for (let c = first; c <= last; c++) if ((secs(cells[c]) ?? 0) > cutS) cells[c] = '';
    outCut.push(cells.join(','));
    runners.push({ bib: m[1], official: secs(lines[i].split(',').slice(-4)[0]) });
  }
  fs.writeFileSync(full, outFull.join('\n') + '\n');
  fs.writeFileSync(cut, outCut.join('\n') + '\n');
  return runners;
}
