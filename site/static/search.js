/* Client-side search and the datasets table, over the sharded static index in search/.
 *
 * Index files are scripts that call catalogSearchLoaded(name, data), so they load from any
 * static host and from file:// (where fetch is refused). Only the files a query needs are
 * loaded: the meta file, one term shard per word, one file per filter, the display rows of
 * the results shown. Everything is drawn with textContent and setAttribute: no HTML from
 * the index is ever parsed.
 */
(function () {
  "use strict";

  var root = document.documentElement.getAttribute("data-root") || "";
  var base = root + "search/";
  var waiting = new Map();
  var loaded = new Map();
  var version = "";

  var arrived = new Map();  // files that ran before anything asked for them (the preload)

  window.catalogSearchLoaded = function (name, data) {
    var w = waiting.get(name);
    if (w) { waiting.delete(name); w(data); } else { arrived.set(name, data); }
  };

  // Pages that search name the meta file in their <head> (deferred, after this script), so
  // that it downloads while the page loads instead of after this script asks for it. Its
  // failure is watched from now on: a query then loads it the ordinary way.
  var metaTag = document.querySelector("script[data-search-meta]");
  var metaFailed = null;
  if (metaTag) {
    metaTag.addEventListener("error", function () {
      metaTag = null;
      if (metaFailed) metaFailed();
    });
  }

  function preloaded(name) {
    if (arrived.has(name)) {
      var data = arrived.get(name);
      arrived.delete(name);
      return Promise.resolve(data);
    }
    if (name !== "meta" || !metaTag) return null;
    return new Promise(function (resolve, reject) {
      waiting.set(name, resolve);
      metaFailed = function () {
        waiting.delete(name);
        loaded.delete(name);
        reject(new Error("cannot load index file " + name));
      };
    });
  }

  function load(name) {
    if (loaded.has(name)) return loaded.get(name);
    var early = preloaded(name);
    if (early) { loaded.set(name, early); return early; }
    var p = new Promise(function (resolve, reject) {
      waiting.set(name, resolve);
      var s = document.createElement("script");
      s.src = base + name + ".js" + (version ? "?v=" + version : "");
      s.async = true;
      s.onload = function () { s.remove(); if (waiting.has(name)) { waiting.delete(name); reject(new Error("index file " + name + " is damaged")); } };
      s.onerror = function () { s.remove(); waiting.delete(name); loaded.delete(name); reject(new Error("cannot load index file " + name)); };
      document.head.appendChild(s);
    });
    loaded.set(name, p);
    return p;
  }

  /* ---------------------------------------------------------------- decoding */

  var ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var VALUE = new Int8Array(128).fill(-1);
  for (var i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

  function vlqs(s, from, to) {
    var out = [], v = 0, shift = 0;
    for (var i = from; i < to; i++) {
      var d = VALUE[s.charCodeAt(i)];
      v += (d & 31) * Math.pow(2, shift);
      if (d & 32) { shift += 5; } else { out.push(v); v = 0; shift = 0; }
    }
    return out;
  }

  function bytes(s) {
    var n = Math.floor(s.length * 3 / 4), out = new Uint8Array(n), j = 0, acc = 0, bits = 0;
    for (var i = 0; i < s.length; i++) {
      acc = (acc << 6) | VALUE[s.charCodeAt(i)];
      bits += 6;
      if (bits >= 8) { bits -= 8; out[j++] = (acc >> bits) & 255; }
    }
    return out.subarray(0, j);
  }

  function ids(s) {
    if (!s) return [];
    if (s[0] === "d") {
      var gaps = vlqs(s, 1, s.length), cur = -1;
      for (var k = 0; k < gaps.length; k++) { cur += gaps[k]; gaps[k] = cur; }
      return gaps;
    }
    var dot = s.indexOf("."), start = vlqs(s, 1, dot)[0], raw = bytes(s.slice(dot + 1)), out = [];
    for (var b = 0; b < raw.length; b++) {
      var byte = raw[b];
      if (!byte) continue;
      for (var bit = 0; bit < 8; bit++) if (byte & (1 << bit)) out.push(start + b * 8 + bit);
    }
    return out;
  }

  function order(s, digits) {
    var out = new Int32Array(s.length / digits);
    for (var k = 0, j = 0; k < out.length; k++) {
      var v = 0;
      for (var d = 0; d < digits; d++) v = v * 64 + VALUE[s.charCodeAt(j++)];
      out[k] = v;
    }
    return out;
  }

  /* ---------------------------------------------------------------- the index */

  var UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
  var WORD = /[\p{L}\p{N}]+/gu;
  var TOKEN_MAX = 40;

  function tokenize(text) {
    var t = text.toLowerCase();
    if (/[^\x00-\x7f]/.test(t)) t = t.normalize("NFKD").replace(/\p{M}/gu, "");
    var found = t.match(UUID) || [];
    t = t.replace(UUID, " ");
    (t.match(WORD) || []).forEach(function (w) { found.push(Array.from(w).slice(0, TOKEN_MAX).join("")); });
    return Array.from(new Set(found));
  }

  var metaPromise = null, shardMap = null;

  function meta() {
    if (!metaPromise) {
      metaPromise = load("meta").then(function (m) {
        version = m.version;
        shardMap = new Map();
        m.keys.forEach(function (k, n) { shardMap.set(k, { n: n, split: m.split[n] === "1" }); });
        return m;
      });
    }
    return metaPromise;
  }

  // Score of each document for one word: weight 3/2/1 by field, doubled for whole words.
  function wordScores(m, word) {
    var cps = Array.from(word), k = 1, node = shardMap.get(cps[0]);
    while (node && node.split && k < cps.length) { k++; node = shardMap.get(cps.slice(0, k).join("")); }
    var scores = new Float32Array(m.docs);
    if (!node) return Promise.resolve(scores);
    return load("t/" + node.n).then(function (shard) {
      function apply(lists, factor) {
        (lists || []).forEach(function (enc, w) {
          var value = (3 - w) * factor, list = ids(enc);
          for (var j = 0; j < list.length; j++) if (scores[list[j]] < value) scores[list[j]] = value;
        });
      }
      var terms = shard.t || {};
      if (node.split) {
        apply(shard.p, 1);
        if (Object.prototype.hasOwnProperty.call(terms, word)) apply(terms[word], 2);
      } else {
        Object.keys(terms).forEach(function (t) {
          if (t === word) apply(terms[t], 2);
          else if (t.lastIndexOf(word, 0) === 0) apply(terms[t], 1);
        });
      }
      return scores;
    });
  }

  function facetIds(m, name, value) {
    var entry = (m.facets[name] || []).find(function (e) { return e[0] === value; });
    if (!entry) return Promise.resolve([]);
    return load("f/" + entry[1]).then(ids);
  }

  // Run a query: {q, filters: [[name, value]], datasetsOnly, sort, desc, offset, limit}.
  function query(opts) {
    var started = performance.now();
    return meta().then(function (m) {
      var limitTo = opts.datasetsOnly ? m.datasets : m.docs;
      var words = tokenize(opts.q || "");
      var work = [Promise.all(words.map(function (w) { return wordScores(m, w); }))];
      work.push(Promise.all(opts.filters.map(function (f) { return facetIds(m, f[0], f[1]); })));
      var sortField = opts.sort && Object.prototype.hasOwnProperty.call(m.sorts, opts.sort) ? opts.sort : null;
      return Promise.all(work).then(function (parts) {
        var perWord = parts[0], facets = parts[1];
        var allowed = new Uint8Array(limitTo).fill(1);
        facets.forEach(function (list) {
          var mark = new Uint8Array(limitTo);
          for (var j = 0; j < list.length; j++) if (list[j] < limitTo) mark[list[j]] = 1;
          for (var d = 0; d < limitTo; d++) allowed[d] &= mark[d];
        });
        var total = null;
        if (perWord.length) {
          total = new Float32Array(limitTo);
          for (var d = 0; d < limitTo; d++) {
            if (!allowed[d]) continue;
            var sum = 0;
            for (var w = 0; w < perWord.length; w++) {
              var s = perWord[w][d];
              if (!s) { sum = 0; break; }
              sum += s;
            }
            total[d] = sum;
            if (!sum) allowed[d] = 0;
          }
        }
        var offset = opts.offset || 0, limit = opts.limit || 20;
        if (sortField) {
          var count = 0;
          for (var d3 = 0; d3 < limitTo; d3++) count += allowed[d3];
          return sortedPage(m, sortField, !!opts.desc, allowed, offset + limit).then(function (hits) {
            return rows(m, hits.slice(offset, offset + limit)).then(function (rs) {
              return { total: count, rows: rs, ms: performance.now() - started };
            });
          });
        }
        var hits = [];
        for (var d2 = 0; d2 < limitTo; d2++) if (allowed[d2]) hits.push(d2);
        if (total && (!opts.sort || opts.sort === "relevance")) {
          hits.sort(function (a, b) { return total[b] - total[a] || a - b; });
        }
        if (opts.desc) hits.reverse();
        return rows(m, hits.slice(offset, offset + limit)).then(function (rs) {
          return { total: hits.length, rows: rs, ms: performance.now() - started };
        });
      });
    });
  }

  // The first `need` allowed datasets in the order of a field: segments are loaded from
  // the front (or the back, descending) only until the page is full.
  function sortedPage(m, field, desc, allowed, need) {
    var segs = m.sorts[field], hits = [];
    function next(i) {
      if (i < 0 || i >= segs || hits.length >= need) return Promise.resolve(hits);
      return load("s/" + field + "/" + i).then(function (text) {
        var ids = order(text, m.digits);
        for (var k = 0; k < ids.length && hits.length < need; k++) {
          var id = ids[desc ? ids.length - 1 - k : k];
          if (id < allowed.length && allowed[id]) hits.push(id);
        }
        return next(desc ? i - 1 : i + 1);
      });
    }
    return next(desc ? segs - 1 : 0);
  }

  function rows(m, list) {
    var chunks = Array.from(new Set(list.map(function (d) { return Math.floor(d / m.chunk); })));
    return Promise.all(chunks.map(function (c) { return load("d/" + c); })).then(function (data) {
      var byChunk = new Map();
      chunks.forEach(function (c, n) { byChunk.set(c, data[n]); });
      return list.map(function (d) { return byChunk.get(Math.floor(d / m.chunk))[d % m.chunk]; });
    });
  }

  /* ---------------------------------------------------------------- drawing */

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // Paths in the index are site-relative paths the builder made; anything else is dropped.
  function safePath(p) {
    return typeof p === "string" && /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~#-]+)*$/.test(p) ? root + p : null;
  }

  function link(path, text) {
    var href = safePath(path);
    if (!href) return el("span", "", text);
    var a = el("a", "", text);
    a.setAttribute("href", href);
    return a;
  }

  function badge(text, family) {
    var value = String(text || "");
    return el("span", "badge " + family + "-" + value.toLowerCase().replace(/_/g, "-"), value.replace(/_/g, " "));
  }

  function humanSize(n) {
    if (n === null || n === undefined) return "";
    var units = ["B", "kB", "MB", "GB", "TB"], size = n;
    for (var u = 0; u < units.length; u++) {
      if (size < 1000 || u === units.length - 1) return u === 0 ? Math.floor(size) + " B" : size.toFixed(1) + " " + units[u];
      size /= 1000;
    }
    return n + " B";
  }

  // ["dataset", key, path, type, format, revision, tags, qc, size, created, repos, default, summary]
  function datasetRow(r) {
    var tr = el("tr"), first = el("td"), name = String(r[1]).split("/").pop();
    first.appendChild(link(r[2], name));
    if (!r[11]) { first.appendChild(document.createTextNode(" ")); first.appendChild(el("span", "badge muted", "not default")); }
    var where = String(r[1]).slice(0, -name.length).replace(/\/$/, "");
    if (where) first.appendChild(el("span", "where", where));
    tr.appendChild(first);
    [r[3], r[4], r[5]].forEach(function (v) { tr.appendChild(el("td", "", v)); });
    var tags = el("td");
    (r[6] || []).forEach(function (t) { tags.appendChild(el("span", "chip", t)); });
    tr.appendChild(tags);
    var qc = el("td");
    qc.appendChild(badge(r[7], "qc"));
    tr.appendChild(qc);
    tr.appendChild(el("td", "num", humanSize(r[8])));
    tr.appendChild(el("td", "", r[9]));
    return tr;
  }

  function resultItem(r) {
    var li = el("li"), head = el("div", "title");
    head.appendChild(el("span", "kind-label", r[0]));
    head.appendChild(link(r[2], r[1]));
    li.appendChild(head);
    if (r[0] === "dataset") {
      var meta = el("div", "meta", [r[3], r[4], r[5]].filter(Boolean).join(" · ") + " ");
      meta.appendChild(badge(r[7], "qc"));
      li.appendChild(meta);
      if (r[12]) li.appendChild(el("p", "summary", r[12]));
    } else {
      if (r[4]) { var m2 = el("div", "meta"); m2.appendChild(badge(r[4], r[0] === "notice" ? "imp" : "status")); li.appendChild(m2); }
      if (r[3]) li.appendChild(el("p", "summary", r[3]));
    }
    return li;
  }

  /* ---------------------------------------------------------------- pages */

  var FILTERS = ["kind", "type", "format", "tag", "revision", "qc", "repository", "notice", "default"];

  function readForm(form) {
    var data = new FormData(form), filters = [];
    FILTERS.forEach(function (f) { var v = data.get(f); if (v) filters.push([f, String(v)]); });
    return { q: String(data.get("q") || ""), filters: filters };
  }

  function fillForm(form, params) {
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name || !params.has(input.name)) return;
      var v = params.get(input.name);
      if (input.type === "checkbox") input.checked = input.value === v;
      else if (input.tagName === "SELECT") {
        if (!Array.prototype.some.call(input.options, function (o) { return o.value === v; })) {
          var o = document.createElement("option");
          o.value = v; o.textContent = v;
          input.appendChild(o);
        }
        input.value = v;
      } else input.value = v;
    });
  }

  function remember(state, extra) {
    var params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    state.filters.forEach(function (f) { params.set(f[0], f[1]); });
    Object.keys(extra || {}).forEach(function (k) { if (extra[k]) params.set(k, extra[k]); });
    var s = params.toString();
    if ((s ? "?" + s : "") === location.search) return;
    try { history.replaceState(null, "", location.pathname + (s ? "?" + s : "")); } catch (e) { /* file:// in some browsers */ }
  }

  function debounce(fn, ms) {
    var t = null;
    return function () { clearTimeout(t); t = setTimeout(fn, ms); };
  }

  function report(status, text, state, result) {
    status.textContent = text;
    status.setAttribute("data-state", state);
    if (result) { status.setAttribute("data-total", String(result.total)); status.setAttribute("data-ms", result.ms.toFixed(1)); }
  }

  function searchPage(form) {
    var list = document.getElementById("search-results");
    var status = document.getElementById("search-status");
    var more = document.getElementById("search-more");
    var shown = 0, current = null, serial = 0, last = null;
    function run(append) {
      var state = readForm(form), key = JSON.stringify(state);
      // "change" follows "input" when the field loses focus: redrawing the same results
      // then would swallow the click that moved the focus.
      if (!append && key === last) return;
      var mine = ++serial;
      if (!append) { shown = 0; current = state; last = key; remember(state); }
      if (!current.q && !current.filters.length) {
        list.replaceChildren(); more.hidden = true;
        report(status, "Type words to search, or pick a filter.", "idle");
        return;
      }
      report(status, "Searching…", "busy");
      query({ q: current.q, filters: current.filters, offset: shown, limit: 20 }).then(function (res) {
        if (mine !== serial) return;
        if (!append) list.replaceChildren();
        res.rows.forEach(function (r) { list.appendChild(resultItem(r)); });
        shown += res.rows.length;
        more.hidden = shown >= res.total;
        report(status, res.total + (res.total === 1 ? " result" : " results") + " in " + Math.round(res.ms) + " ms", "done", res);
      }).catch(function (err) { report(status, "Search failed: " + err.message, "error"); });
    }
    form.addEventListener("submit", function (ev) { ev.preventDefault(); run(false); });
    form.addEventListener("input", debounce(function () { run(false); }, 180));
    form.addEventListener("change", function () { run(false); });
    more.addEventListener("click", function () { run(true); });
    fillForm(form, new URLSearchParams(location.search));
    run(false);
  }

  function tablePage(form) {
    var body = document.getElementById("table-body");
    var status = document.getElementById("table-status");
    var pager = document.getElementById("live-pager");
    var label = document.getElementById("live-page");
    var heads = document.querySelectorAll("table.datasets th[data-sort]");
    var PAGE = 25, params = new URLSearchParams(location.search);
    var page = Math.max(1, parseInt(params.get("page") || "1", 10) || 1);
    var sort = params.get("sort") || "name", desc = params.get("dir") === "desc", serial = 0, total = 0;
    var lastState = null, lastKey = null;
    function run() {
      var state = readForm(form), stateKey = JSON.stringify(state);
      if (lastState !== null && stateKey !== lastState) page = 1;  // new filters: first page
      lastState = stateKey;
      var key = JSON.stringify([stateKey, sort, desc, page]);
      if (key === lastKey) return;
      lastKey = key;
      var mine = ++serial;
      remember(state, { sort: sort === "name" ? "" : sort, dir: desc ? "desc" : "", page: page > 1 ? String(page) : "" });
      heads.forEach(function (h) {
        if (h.getAttribute("data-sort") === sort) h.setAttribute("aria-sort", desc ? "descending" : "ascending");
        else h.removeAttribute("aria-sort");
      });
      report(status, "Loading…", "busy");
      var by = state.q && sort === "name" && !params.has("sort") ? "relevance" : sort;
      query({ q: state.q, filters: state.filters, datasetsOnly: true, sort: by, desc: desc, offset: (page - 1) * PAGE, limit: PAGE }).then(function (res) {
        if (mine !== serial) return;
        total = res.total;
        body.replaceChildren.apply(body, res.rows.map(datasetRow));
        var pages = Math.max(1, Math.ceil(total / PAGE));
        document.getElementById("static-pager").hidden = true;
        pager.hidden = pages < 2;
        label.textContent = "Page " + page + " of " + pages;
        pager.querySelector("[data-page=prev]").disabled = page <= 1;
        pager.querySelector("[data-page=next]").disabled = page >= pages;
        report(status, total + (total === 1 ? " dataset" : " datasets") + " match", "done", res);
      }).catch(function (err) { report(status, "Filtering is unavailable: " + err.message, "error"); });
    }
    form.addEventListener("input", debounce(run, 180));
    form.addEventListener("change", run);
    form.addEventListener("submit", function (ev) { ev.preventDefault(); run(); });
    heads.forEach(function (h) {
      h.setAttribute("tabindex", "0");
      function toggle() {
        var f = h.getAttribute("data-sort");
        if (sort === f) desc = !desc; else { sort = f; desc = false; }
        params.set("sort", sort);
        page = 1; run();
      }
      h.addEventListener("click", toggle);
      h.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); toggle(); } });
    });
    pager.addEventListener("click", function (ev) {
      var b = ev.target.closest("button[data-page]");
      if (!b) return;
      page += b.getAttribute("data-page") === "next" ? 1 : -1;
      run();
      window.scrollTo(0, 0);
    });
    fillForm(form, params);
    run();
  }

  function start() {
    var s = document.getElementById("search-form");
    if (s) searchPage(s);
    var t = document.getElementById("table-filters");
    if (t) tablePage(t);
  }

  window.catalogSearch = { query: query, tokenize: tokenize };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
