// layout.mjs: what the spectator pages' browser tests check of a page's layout
// (athlete.test.mjs, regattabig.test.mjs).

/*
 * What does not fit the viewport's width: the document scrolling sideways,
 * and any element reaching past either edge that no ancestor scrolls or
 * clips on purpose (a strip of cards that scrolls is fine; a cell cut off at
 * the screen's edge is not).  [] when everything fits.
 */
export async function layoutProblems(page) {
  return page.evaluate(() => {
    const out = [];
    const W = innerWidth;
    const se = document.scrollingElement;
    if (se.scrollWidth > W) out.push(`document ${se.scrollWidth} > ${W}`);
    const held = (e) => {
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
        const ox = getComputedStyle(a).overflowX;
        if (ox === 'auto' || ox === 'scroll' || ox === 'hidden' || ox === 'clip') return true;
      }
      return false;
    };
    for (const e of document.body.querySelectorAll('*')) {
      if (e.closest('.sr, [hidden], svg title, noscript')) continue;
      const r = e.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      if ((r.right > W + 1 || r.left < -1) && !held(e)) out.push(`${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${[...e.classList].join('.')} at ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
    return out.slice(0, 8);
  });
}
