// The Marp engine for the course's decks: Marp Core, plus one allowance.
//
// slides/preprocess.js puts each diagram into its deck as a data: URI, so
// that every HTML file stands alone and shows its pictures offline.
// markdown-it refuses data:image/svg+xml links by default (an SVG opened as
// a page could run scripts); shown through <img>, as here, an SVG cannot,
// so this engine lets exactly those through.
'use strict';

const { Marp } = require('@marp-team/marp-core');

module.exports = (options) => {
  const marp = new Marp(options);
  const validateLink = marp.markdown.validateLink;
  marp.markdown.validateLink = (url) =>
    /^data:image\/svg\+xml;base64,/i.test(url) || validateLink(url);
  return marp;
};
