#!/usr/bin/env node
// Expands the code references in the decks, so that code on a slide is
// always the code in the repository.
//
//   node slides/preprocess.js OUT_DIR
//
// Reads every slides/NN-name.md and writes OUT_DIR/NN-name.md, in which each
// reference line inside a fenced code block is replaced by the code it names.
// Pictures from slides/diagrams/ are put into the page itself (as data: URIs),
// so that each HTML file stands alone and works offline. Writes
// OUT_DIR/index.html too.
// Marp then renders OUT_DIR/*.md (see `make slides`). Paths are relative to
// the repository root; run it from there.
//
// The references (a line of its own, inside a fenced code block):
//
//   {{#include stages/01-echo/main.cpp}}                  the whole file
//   {{#include stages/01-echo/connection.cpp:serve_connection}}  a named region
//   {{#include PATH:REGION from="TEXT" to="TEXT"}}        part of a region: from the
//        first line containing the from-text to the first line after it containing
//        the to-text (either may be left out)
//   {{#diff OLD_PATH[:REGION] NEW_PATH[:REGION]}}         how OLD became NEW, as a
//        diff; a region named on one side only is looked up on both sides
//
// A region is marked in the source the way mdBook marks it:
//   // ANCHOR: name
//   ...
//   // ANCHOR_END: name
// Lines holding ANCHOR markers are never shown, and the common indentation
// is removed. A reference line written with a backslash, \{{#include ...}},
// is shown as it is (without the backslash) instead of being expanded. tests/course/slides_test.cpp checks the same references from
// C++ (make test), so a deck that names a missing file, region or text
// fails the tests even on a machine without Node.js.
'use strict';

const fs = require('fs');
const path = require('path');

const SLIDES_DIR = 'slides';
const DECK_NAME = /^\d\d-[a-z0-9-]+\.md$/;
const REFERENCE = /^\s*\{\{#(\w+)\s+(.*?)\s*\}\}\s*$/;
const ESCAPED = /^\s*\\\{\{#/;  // "\{{#include ...}}": show the line, do not expand it
const ANCHOR_LINE = /\bANCHOR(_END)?:\s*([\w-]+)/;
const FENCE = /^\s{0,3}(`{3,}|~{3,})/;

class ReferenceError_ extends Error {}
const fail = (message) => {
  throw new ReferenceError_(message);
};

// "stages/x.cpp:name from="a" to="b"" -> {path, region, from, to}
function parseSpec(text) {
  const match = /^([^\s:]+)(?::([\w-]+))?((?:\s+\w+="[^"]*")*)$/.exec(text);
  if (!match) fail(`cannot read the reference '${text}'`);
  const spec = { path: match[1], region: match[2] };
  for (const [, key, value] of match[3].matchAll(/(\w+)="([^"]*)"/g)) {
    if (key !== 'from' && key !== 'to') fail(`unknown option '${key}' (from= and to= exist)`);
    if (value === '') fail(`${key}="" matches every line; give some text`);
    spec[key] = value;
  }
  return spec;
}

function readLines(file) {
  if (path.isAbsolute(file) || file.split('/').includes('..')) {
    fail(`'${file}' must be a path inside the repository`);
  }
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    fail(`no file ${file}`);
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

// The lines of `spec` (a file, a region, an excerpt), ANCHOR lines removed.
function extract(spec) {
  let lines = readLines(spec.path);
  if (spec.region !== undefined) {
    const isMarker = (line, end) => {
      const m = ANCHOR_LINE.exec(line);
      return m !== null && m[2] === spec.region && (m[1] !== undefined) === end;
    };
    const start = lines.findIndex((line) => isMarker(line, false));
    if (start < 0) fail(`no region '${spec.region}' in ${spec.path}`);
    const length = lines.slice(start + 1).findIndex((line) => isMarker(line, true));
    if (length < 0) fail(`region '${spec.region}' in ${spec.path} has no ANCHOR_END`);
    lines = lines.slice(start + 1, start + 1 + length);
  }
  lines = lines.filter((line) => !ANCHOR_LINE.test(line));
  const where = spec.region !== undefined ? `region '${spec.region}' of ${spec.path}` : spec.path;
  let first = 0;
  if (spec.from !== undefined) {
    first = lines.findIndex((line) => line.includes(spec.from));
    if (first < 0) fail(`no line with "${spec.from}" in ${where}`);
  }
  let last = lines.length - 1;
  if (spec.to !== undefined) {
    const offset = lines.slice(first).findIndex((line) => line.includes(spec.to));
    if (offset < 0) fail(`no line with "${spec.to}" in ${where}` + (spec.from ? ` after "${spec.from}"` : ''));
    last = first + offset;
  }
  return lines.slice(first, last + 1);
}

// Removes the indentation that all non-blank lines share.
function dedent(lines) {
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)[0].length);
  const common = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(common));
}

// A line diff (longest common subsequence): [[' '|'-'|'+', line], ...].
function diffLines(a, b) {
  const n = a.length;
  const m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; --i) {
    for (let j = m - 1; j >= 0; --j) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push([' ', a[i++]]);
      ++j;
    } else if (j < m && (i === n || lcs[i][j + 1] > lcs[i + 1][j])) {
      // On a tie the removal comes first, as in diff(1): "-old" above "+new".
      out.push(['+', b[j++]]);
    } else {
      out.push(['-', a[i++]]);
    }
  }
  return out;
}

// Keeps `context` unchanged lines around each change; longer unchanged runs
// become a single "@@ ... @@" line. context = Infinity keeps everything.
function hunks(diff, context) {
  const changed = diff.map(([mark]) => mark !== ' ');
  const keep = diff.map((_, k) => {
    for (let d = -context; d <= context && Number.isFinite(context); ++d) {
      if (changed[k + d]) return true;
    }
    return !Number.isFinite(context);
  });
  const out = [];
  diff.forEach(([mark, line], k) => {
    if (keep[k]) out.push(mark + line);
    else if (k === 0 || keep[k - 1]) out.push('@@ ... @@');
  });
  return out;
}

function expandDiff(args) {
  const parts = args.split(/\s+/);
  if (parts.length !== 2) fail(`#diff takes two paths: {{#diff OLD[:REGION] NEW[:REGION]}}`);
  const [oldSpec, newSpec] = parts.map(parseSpec);
  if (oldSpec.from || oldSpec.to || newSpec.from || newSpec.to) fail('#diff takes no from=/to=');
  oldSpec.region = oldSpec.region ?? newSpec.region;
  newSpec.region = newSpec.region ?? oldSpec.region;
  const a = extract(oldSpec);
  const b = extract(newSpec);
  // Dedent both sides together so that unchanged lines stay unchanged.
  const both = dedent([...a, ...b]);
  const diff = diffLines(both.slice(0, a.length), both.slice(a.length));
  // A region is short: show all of it. A whole file: the changes in context.
  return hunks(diff, oldSpec.region !== undefined ? Infinity : 3);
}

function expandLine(kind, args) {
  if (kind === 'include') return dedent(extract(parseSpec(args)));
  if (kind === 'diff') return expandDiff(args);
  fail(`unknown reference {{#${kind}}} ({{#include}} and {{#diff}} exist)`);
}

// Returns {text, title, errors}.
function expandDeck(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const out = [];
  const errors = [];
  let fence = null;  // the fence that opened the current code block
  let title = null;
  lines.forEach((line, index) => {
    const where = `${file}:${index + 1}`;
    const fenceMatch = FENCE.exec(line);
    if (fence === null && fenceMatch) {
      fence = fenceMatch[1];
    } else if (fence !== null && fenceMatch && fenceMatch[1][0] === fence[0] &&
               fenceMatch[1].length >= fence.length && line.trim() === fenceMatch[1]) {
      fence = null;
    } else if (fence !== null && ESCAPED.test(line)) {
      out.push(line.replace('\\{{#', '{{#'));  // shown as written, not expanded
      return;
    } else if (fence !== null) {
      const ref = REFERENCE.exec(line);
      if (ref) {
        try {
          out.push(...expandLine(ref[1], ref[2]));
        } catch (error) {
          if (!(error instanceof ReferenceError_)) throw error;
          errors.push(`${where}: ${error.message}`);
        }
        return;
      }
    } else if (/(^|[^\\])\{\{#/.test(line)) {
      errors.push(`${where}: a reference outside a code block is not expanded`);
    }
    if (fence === null) line = inlinePictures(line, path.dirname(file), `${where}`, errors);
    if (fence === null && title === null) {
      const m = /^title:\s*"?(.*?)"?\s*$/.exec(line) || /^#\s+(.*)$/.exec(line);
      if (m) title = m[1];
    }
    out.push(line);
  });
  if (fence !== null) errors.push(`${file}: a code block is never closed`);
  return { text: out.join('\n'), title, errors };
}

// ![alt](diagrams/x.svg) -> ![alt](data:image/svg+xml;base64,...): the slides
// then need no file beside them, and nothing is fetched when they are shown.
function inlinePictures(line, deckDir, where, errors) {
  return line.replace(/(!\[[^\]]*\]\()([^)\s]+)/g, (whole, start, target) => {
    if (/^[a-z]+:/i.test(target) || target.startsWith('//')) return whole;
    const types = { '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg' };
    const type = types[path.extname(target).toLowerCase()];
    let bytes;
    try {
      bytes = fs.readFileSync(path.join(deckDir, target));
    } catch {
      errors.push(`${where}: no picture ${path.join(deckDir, target)}`);
      return whole;
    }
    if (!type) return whole;
    return `${start}data:${type};base64,${bytes.toString('base64')}`;
  });
}

const escapeHtml = (s) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function indexPage(decks) {
  const rows = decks
    .map(({ name, title }) =>
      `    <li><a href="${name}.html"><span class="n">${name.slice(0, 2)}</span> ` +
      `${escapeHtml(title || name)}</a> <a class="pdf" href="${name}.pdf">PDF</a></li>`)
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>An HTTP/1.1 server from scratch: the slides</title>
<style>
  body { font-family: "DejaVu Sans", "Noto Sans", Helvetica, Arial, sans-serif; max-width: 46em;
         margin: 3em auto; padding: 0 1em; color: #111; background: #fff; font-size: 20px; }
  h1 { color: #0b3d91; font-size: 1.6em; }
  ul { list-style: none; padding: 0; }
  li { margin: .6em 0; }
  a { color: #0b3d91; text-decoration: none; }
  a:hover { text-decoration: underline; }
  .n { font-family: "DejaVu Sans Mono", monospace; font-weight: bold; margin-right: .4em; }
  .pdf { font-size: .7em; margin-left: .8em; color: #555; }
  p { color: #444; font-size: .8em; }
</style>
</head>
<body>
  <h1>An HTTP/1.1 server from scratch, in C++: the slides</h1>
  <ul>
${rows}
  </ul>
  <p>One deck per stage. Press F for full screen, arrow keys to move.
     The PDF links work after <code>make slides-pdf</code>.</p>
</body>
</html>
`;
}

function main() {
  const outDir = process.argv[2];
  if (!outDir) {
    console.error('usage: node slides/preprocess.js OUT_DIR');
    process.exit(2);
  }
  fs.mkdirSync(outDir, { recursive: true });
  // Expanded decks from an earlier run whose source is gone would still be rendered.
  for (const old of fs.readdirSync(outDir)) {
    if (DECK_NAME.test(old)) fs.unlinkSync(path.join(outDir, old));
  }
  const decks = [];
  let errors = [];
  for (const name of fs.readdirSync(SLIDES_DIR).filter((n) => DECK_NAME.test(n)).sort()) {
    const deck = expandDeck(path.join(SLIDES_DIR, name));
    errors = errors.concat(deck.errors);
    fs.writeFileSync(path.join(outDir, name), deck.text);
    decks.push({ name: name.replace(/\.md$/, ''), title: deck.title });
  }
  fs.writeFileSync(path.join(outDir, 'index.html'), indexPage(decks));
  if (errors.length) {
    for (const e of errors) console.error(e);
    process.exit(1);
  }
  console.log(`expanded ${decks.length} decks into ${outDir}/`);
}

main();
