#!/usr/bin/env node
// Checks the rendered decks the way a projector shows them: every slide of
// every build/slides/NN-name.html in Chromium, at 1280x720, the smallest
// window the theme is made for.
//
//   node slides/check-layout.js DIR [SCREENSHOT_DIR]     (make slides-check)
//
// A slide fails when
//   - code on it renders below 20px (the theme's smallest code size), or
//   - text of the slide reaches down to where the HTML viewer's control bar
//     appears when the mouse moves (the footer and page number, which sit
//     below the bar, excepted).
// Each failure names the deck and the slide; with SCREENSHOT_DIR, a
// screenshot of every failing slide is saved there, to look at. The C++
// course checker (make test) counts rows of code without a browser; this
// sees the text around the code too.
'use strict';

const fs = require('fs');
const path = require('path');
const puppeteer = require('puppeteer-core');

const WIDTH = 1280;
const HEIGHT = 720;
const MIN_CODE_PX = 20;

function chromium() {
  const candidates = [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome'];
  const found = candidates.find((file) => file && fs.existsSync(file));
  if (!found) {
    console.error('make slides-check needs Chromium (apt-get install chromium), or CHROME_PATH');
    process.exit(2);
  }
  return found;
}

// Runs in the page: measures the slide on screen.
function measureActiveSlide(minCodePx) {
  const slide = document.querySelector('svg.bespoke-marp-slide.bespoke-marp-active section');
  const problems = [];
  // Code: its computed size, times any scaling between layout and screen.
  for (const code of slide.querySelectorAll('pre code')) {
    if (code.offsetHeight === 0) continue;
    const scale = code.getBoundingClientRect().height / code.offsetHeight;
    const px = parseFloat(getComputedStyle(code).fontSize) * scale;
    if (px < minCodePx - 0.05) problems.push(`code at ${px.toFixed(1)}px (at least ${minCodePx}px)`);
  }
  // Text: nothing of the slide's own (footer and header aside) may reach the
  // top of the control bar.
  const bar = document.querySelector('.bespoke-marp-osc');
  const barTop = bar ? bar.getBoundingClientRect().top : innerHeight;
  const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
  let lowest = 0;
  let lowestText = '';
  for (let node; (node = walker.nextNode());) {
    if (!node.textContent.trim() || node.parentElement.closest('header, footer')) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const rect of range.getClientRects()) {
      if (rect.width > 0 && rect.bottom > lowest) {
        lowest = rect.bottom;
        lowestText = node.textContent.trim().slice(0, 50);
      }
    }
  }
  if (lowest > barTop) {
    problems.push(`text down to ${Math.round(lowest)}px, under the control bar ` +
                  `(from ${Math.round(barTop)}px): "${lowestText}"`);
  }
  return problems;
}

async function main() {
  const [dir, shots] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: node slides/check-layout.js DIR [SCREENSHOT_DIR]');
    process.exit(2);
  }
  if (shots) fs.mkdirSync(shots, { recursive: true });
  const decks = fs.readdirSync(dir).filter((f) => /^\d\d-.*\.html$/.test(f)).sort();
  const browser = await puppeteer.launch({
    executablePath: chromium(),
    headless: true,
    args: ['--no-sandbox', `--window-size=${WIDTH},${HEIGHT}`, '--hide-scrollbars'],
  });
  let failures = 0;
  let slides = 0;
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: WIDTH, height: HEIGHT });
    for (const deck of decks) {
      await page.goto('file://' + path.resolve(dir, deck));
      await page.evaluate(() => document.fonts.ready);
      const count = await page.evaluate(() => document.querySelectorAll('svg.bespoke-marp-slide').length);
      for (let n = 1; n <= count; ++n) {
        await page.evaluate((k) => { location.hash = `#${k}`; }, n);
        await page.waitForFunction((k) => document.querySelectorAll('svg.bespoke-marp-slide')[k - 1]
          .classList.contains('bespoke-marp-active'), { timeout: 5000 }, n);
        // A mouse move shows the control bar, as it does for a presenter.
        await page.mouse.move(WIDTH / 2, HEIGHT / 2);
        await page.mouse.move(WIDTH / 2 + 1, HEIGHT / 2 + 1);
        const problems = await page.evaluate(measureActiveSlide, MIN_CODE_PX);
        ++slides;
        if (problems.length === 0) continue;
        ++failures;
        for (const problem of problems) console.log(`${deck} slide ${n}: ${problem}`);
        if (shots) {
          await page.screenshot({ path: path.join(shots, `${deck.replace(/\.html$/, '')}-${n}.png`) });
        }
      }
    }
  } finally {
    await browser.close();
  }
  console.log(`${slides} slides checked at ${WIDTH}x${HEIGHT}, ${failures} with a problem` +
              (failures && shots ? ` (screenshots in ${shots})` : ''));
  process.exit(failures ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
