// shots.mjs: screenshots of every page at phone, tablet, laptop and desktop
// widths, plus a layout check of the leaderboard and the kiosk (cells cut off, cells that
// overlap, anything past the right edge).  Not a registered test: a tool for
// looking at the pages against a running server (e.g. the one
// scripts/bench/page_bench.mjs --server --keep leaves running).
//   node tests/browser/shots.mjs http://127.0.0.1:PORT OUT_DIR [bib,bib]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [base, out = 'shots', bibs = '3,4,1000,20000'] = process.argv.slice(2);
if (!base) {
  console.error('usage: node tests/browser/shots.mjs BASE_URL [OUT_DIR] [BIBS]');
  process.exit(2);
}
fs.mkdirSync(out, { recursive: true });
const WIDTHS = [390, 820, 1280, 1920];
const PAGES = [
  ['index', '/index.html?race=marathon'],
  ['tracker', `/tracker.html?bibs=${bibs}`],
  ['announcer', '/announcer.html?race=marathon'],
  ['kiosk', '/kiosk.html?race=marathon'],
];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-shots-'));
const ctx = await chromium.launchPersistentContext(dir, {
  executablePath: process.env.SL_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let problems = 0;
try {
  for (const w of WIDTHS) {
    for (const [name, url] of PAGES) {
      const page = await ctx.newPage();
      await page.setViewportSize({ width: w, height: name === 'kiosk' ? Math.round(w * 0.5625) : 900 });
      await page.goto(base + url);
      await page.waitForTimeout(name === 'index' ? 2500 : 3000);
      if (name === 'index' || name === 'kiosk') {
        const bad = await page.evaluate((kiosk) => {
          const out = [];
          const vw = document.documentElement.clientWidth;
          if (document.documentElement.scrollWidth > vw) out.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${vw}`);
          const rows = [document.querySelector(kiosk ? '.k-head' : '.thead'), ...[...document.querySelectorAll(kiosk ? '.k-row' : '#list .row')].slice(0, 12)];
          for (const r of rows) {
            if (!r) continue;
            const cells = [...r.children].filter((c) => getComputedStyle(c).display !== 'none' && c.getBoundingClientRect().width > 0);
            for (const c of cells) {
              const b = c.getBoundingClientRect();
              if (c.scrollWidth > c.clientWidth + 1 && c.textContent) out.push(`cut: ${c.className} "${c.textContent}" ${c.scrollWidth} > ${c.clientWidth}`);
              const edge = Math.min(vw, r.getBoundingClientRect().right);
              if (b.right > edge + 0.5) out.push(`past the right edge: ${c.className} ${b.right} > ${edge}`);
            }
            for (let i = 0; i < cells.length; i++) {
              for (let j = i + 1; j < cells.length; j++) {
                const a = cells[i].getBoundingClientRect();
                const b = cells[j].getBoundingClientRect();
                if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)
                  out.push(`overlap: ${cells[i].className} / ${cells[j].className}`);
              }
            }
          }
          return [...new Set(out)];
        }, name === 'kiosk');
        if (bad.length) problems += bad.length;
        console.log(`${name} @${w}: ${bad.length ? bad.join('; ') : 'ok'}`);
      }
      await page.screenshot({ path: path.join(out, `${name}-${w}.png`) });
      await page.close();
    }
  }
} finally {
  await ctx.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(`${problems} layout problems; screenshots in ${out}`);
