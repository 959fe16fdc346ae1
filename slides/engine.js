// The Marp engine for the course's decks: Marp Core, plus two changes.
//
// 1. Pictures as data: URIs. slides/preprocess.js puts each diagram into its
//    deck as a data: URI, so that every HTML file stands alone and shows its
//    pictures offline. markdown-it refuses data:image/svg+xml links by
//    default (an SVG opened as a page could run scripts); shown through
//    <img>, as here, an SVG cannot, so this engine lets exactly those through.
//
// 2. One element per line of code. The theme wraps a line of code that is
//    too long for the slide instead of shrinking the whole block (code stays
//    readable on a projector), and indents the rest of the wrapped line so it
//    does not look like a line of its own. CSS can indent only the start of
//    an element, so each line of a highlighted code block becomes a
//    <span class="line">, which says how far its rest goes in. Highlighting
//    spans that run over several lines (a block comment) are closed at the
//    end of each line and opened again on the next, so the HTML stays well
//    nested.
'use strict';

const { Marp } = require('@marp-team/marp-core');

// The indentation the rest of a wrapped line gets, in characters: its own
// indentation (after the +/- of a diff), at most kMaxIndent, plus two. The
// course checker (tests/course/slide_check.cpp) counts rows the same way.
const kMaxIndent = 24;
function wrapIndent(lineHtml, diff) {
  const text = lineHtml.replace(/<[^>]*>/g, '').replace(/&[a-z]+;|&#\d+;/g, 'x');
  const spaces = /^ */.exec(diff ? text.slice(1) : text)[0].length + (diff ? 1 : 0);
  return Math.min(spaces, kMaxIndent) + 2;
}

// Splits the inside of <code>...</code>, as highlight.js writes it (text,
// entities, <span class="..."> and </span>), into one span per line.
function lineSpans(html, diff) {
  const lines = [];
  const open = [];  // the <span ...> tags open at the current point
  let line = '';
  const tag = /<span[^>]*>|<\/span>|\n/g;
  let last = 0;
  for (let match; (match = tag.exec(html)) !== null;) {
    line += html.slice(last, match.index);
    last = tag.lastIndex;
    if (match[0] === '\n') {
      lines.push(line + '</span>'.repeat(open.length));
      line = open.join('');
    } else {
      if (match[0] === '</span>') open.pop();
      else open.push(match[0]);
      line += match[0];
    }
  }
  line += html.slice(last);
  if (line !== '') lines.push(line);  // a code block ends with a newline: no empty line after it
  // No newline between the lines: each is a block already, and in a <pre>
  // a newline would add an empty line of its own.
  // A diff's added and removed lines are coloured whole, wrapped rows too.
  const kind = (l) => /^<span class="hljs-addition">/.test(l) ? ' added'
    : /^<span class="hljs-deletion">/.test(l) ? ' removed' : '';
  return lines
    .map((l) => `<span class="line${kind(l)}" style="--wrap:${wrapIndent(l, diff)}ch">${l}</span>`)
    .join('');
}

const codeBlock = /^(<pre[^>]*><code[^>]*>)([\s\S]*?)(<\/code><\/pre>\s*)$/;

module.exports = (options) => {
  const marp = new Marp(options);
  const md = marp.markdown;

  const validateLink = md.validateLink;
  md.validateLink = (url) => /^data:image\/svg\+xml;base64,/i.test(url) || validateLink(url);

  for (const rule of ['fence', 'code_block']) {
    const render = md.renderer.rules[rule];
    md.renderer.rules[rule] = (...args) =>
      render(...args).replace(codeBlock, (_, start, inside, end) =>
        start + lineSpans(inside, /language-diff/.test(start)) + end);
  }
  return marp;
};
