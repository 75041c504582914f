// trace-threads timeline: one lane per thread on a canvas, only the visible lanes drawn, from the JSON block above.
// Every string from the trace reaches the DOM through textContent (never innerHTML).
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('tt-data').textContent);
  var T = data.threads;
  var COLORS = { user: '#2f7ed8', threadpool: '#1a9e77', io: '#8e5bd6', runtime: '#d98a0b', native: '#6e7781', tool: '#d6337f', unknown: '#d1242f' };
  var ROW = 18, LABEL = 330, PAD = 10, BAR = 10, MAX_ARROWS = 400;
  var dpr = window.devicePixelRatio || 1;

  var scroll = document.getElementById('tt-scroll');
  var lanes = document.getElementById('tt-lanes');
  var spacer = document.getElementById('tt-spacer');
  var pool = document.getElementById('tt-pool');
  var status = document.getElementById('tt-status');
  var details = document.getElementById('tt-details');
  var lctx = lanes.getContext('2d');
  var pctx = pool.getContext('2d');

  // ---- the model -------------------------------------------------------------------------------------------------
  var t0 = 0, t1 = Math.max(data.spanMs, 0.001);
  T.forEach(function (t, i) {
    t.i = i;
    t.kids = [];
    t.siteKey = t.site == null ? data.noSite : t.site;
    t.search = [t.name || '', t.siteKey, t.cat, t.role, String(t.tid)].join('\n').toLowerCase();
    var s = barStart(t);
    if (s < t0) { t0 = s; }
    if (t.exited != null && t.exited > t1) { t1 = t.exited; }
  });
  T.forEach(function (t) { if (t.ci >= 0) { T[t.ci].kids.push(t.i); } });
  var view = { a: t0, b: t1 };

  // Where the bar starts: creation when known, else the first sight, else the start of the drawing.
  function barStart(t) {
    if (t.created != null) { return t.created; }
    if (t.first != null) { return Math.min(t.first, 0); }
    return 0;
  }

  // Pool size over time: the pool's own stated target (adjustment events) and the workers actually alive.
  var alive = [];
  (function () {
    var steps = [];
    T.forEach(function (t) {
      if (t.role !== 'threadpool-worker') { return; }
      steps.push([Math.max(barStart(t), t0), 1]);
      if (t.exited != null) { steps.push([t.exited, -1]); }
    });
    steps.sort(function (x, y) { return x[0] - y[0] || y[1] - x[1]; });
    var n = 0;
    alive.push([t0, 0]);
    steps.forEach(function (s) { n += s[1]; alive.push([s[0], n]); });
  })();
  var poolMax = 1;
  alive.forEach(function (p) { poolMax = Math.max(poolMax, p[1]); });
  data.pool.forEach(function (p) { poolMax = Math.max(poolMax, p[1]); });

  // ---- grouping and filtering ------------------------------------------------------------------------------------
  var collapsed = new Set();
  var filter = { q: '', cat: '', role: '' };
  var rows = [];            // { g: true, key, depth, label, shown, total, cat } or { t: thread }
  var rowOf = new Int32Array(T.length);
  var threadRows = 0;
  var selected = null, hovered = null;

  function keysOf(t) {
    var k1 = t.cat, k2 = k1 + '\u0000' + t.role;
    return [k1, k2, k2 + '\u0000' + t.siteKey];
  }

  function matches(t) {
    if (filter.cat && t.cat !== filter.cat) { return false; }
    if (filter.role && t.role !== filter.role) { return false; }
    for (var i = 0; i < words.length; i++) {
      if (t.search.indexOf(words[i]) < 0) { return false; }
    }
    return true;
  }
  var words = [];

  // Group keys and sizes never change; only what the filter keeps does.
  var keys = T.map(keysOf), total = new Map();
  keys.forEach(function (ks) { ks.forEach(function (k) { total.set(k, (total.get(k) || 0) + 1); }); });

  function buildRows() {
    var shown = new Map();
    var ok = T.map(matches);
    keys.forEach(function (ks, i) {
      if (!ok[i]) { return; }
      ks.forEach(function (k) { shown.set(k, (shown.get(k) || 0) + 1); });
    });
    rows = [];
    threadRows = 0;
    var open = [null, null, null];   // group keys emitted for the current thread's ancestors
    var headRow = [-1, -1, -1];
    for (var i = 0; i < T.length; i++) {
      var t = T[i];
      rowOf[i] = -1;
      if (!ok[i]) { continue; }
      var ks = keys[i];
      var hiddenAt = -1;
      for (var d = 0; d < 3; d++) {
        if (open[d] !== ks[d]) {
          open[d] = ks[d];
          for (var e = d + 1; e < 3; e++) { open[e] = null; headRow[e] = -1; }
          if (hiddenAt < 0) {
            headRow[d] = rows.length;
            rows.push({ g: true, key: ks[d], depth: d, label: d === 0 ? t.cat : d === 1 ? t.role : t.siteKey, shown: shown.get(ks[d]), total: total.get(ks[d]), cat: t.cat });
          }
        }
        if (hiddenAt < 0 && collapsed.has(ks[d])) { hiddenAt = d; }
      }
      if (hiddenAt >= 0) {
        rowOf[i] = headRow[hiddenAt];
        continue;
      }
      rowOf[i] = rows.length;
      rows.push({ t: t });
      threadRows++;
    }
    document.getElementById('tt-count').textContent = threadRows === T.length
      ? T.length + ' threads'
      : threadRows + ' of ' + T.length + ' threads in open lanes';
    lanes.dataset.lanes = String(threadRows);
    if (W === 0) { resize(); } else { spacer.style.height = Math.max(0, rows.length * ROW - H) + 'px'; schedule(); }
  }

  // ---- drawing -----------------------------------------------------------------------------------------------------
  var W = 0, H = 0, PH = 80;

  function resize() {
    W = scroll.clientWidth;
    H = scroll.clientHeight;
    lanes.style.height = H + 'px';
    lanes.width = Math.round(W * dpr);
    lanes.height = Math.round(H * dpr);
    pool.style.height = PH + 'px';
    pool.width = Math.round(pool.clientWidth * dpr);
    pool.height = Math.round(PH * dpr);
    spacer.style.height = Math.max(0, rows.length * ROW - H) + 'px';
    schedule();
  }

  function x(t) { return LABEL + (t - view.a) / (view.b - view.a) * (W - LABEL - PAD); }
  function tAt(px) { return view.a + (px - LABEL) / (W - LABEL - PAD) * (view.b - view.a); }

  var pending = false;
  function schedule() {
    if (pending) { return; }
    pending = true;
    requestAnimationFrame(function () { pending = false; draw(); });
  }

  var drawCount = 0, lastDrawMs = 0;
  function draw() {
    var started = performance.now();
    drawLanes();
    drawPool();
    lastDrawMs = performance.now() - started;
    drawCount++;
    if (drawCount === 1) { api.firstDrawMs = performance.now(); }
  }

  function ticks() {
    var span = view.b - view.a, target = Math.max(2, Math.floor((W - LABEL) / 110));
    var raw = span / target, p = Math.pow(10, Math.floor(Math.log10(raw))), step = p;
    [1, 2, 5, 10].some(function (m) { step = m * p; return m * p >= raw; });
    var out = [];
    if (!(step > 0) || !isFinite(step)) { return out; }
    for (var v = Math.ceil(view.a / step) * step; v <= view.b; v += step) { out.push(v); }
    return out;
  }

  function fmt(ms) {
    if (ms == null) { return '-'; }
    var a = Math.abs(ms);
    return a >= 1000 ? (ms / 1000).toFixed(a >= 10000 ? 1 : 2) + ' s' : a >= 10 ? ms.toFixed(0) + ' ms' : ms.toFixed(1) + ' ms';
  }

  function shadeBeforeTrace(ctx, h) {
    if (view.a >= 0) { return; }
    var x0 = Math.max(LABEL, x(view.a)), x1 = Math.min(W - PAD, x(0));
    if (x1 <= x0) { return; }
    ctx.fillStyle = '#f0f0f0';
    ctx.fillRect(x0, 0, x1 - x0, h);
  }

  function hatchFor(ctx, color) {
    var c = document.createElement('canvas');
    c.width = 6; c.height = 6;
    var g = c.getContext('2d');
    g.fillStyle = '#ffffff'; g.fillRect(0, 0, 6, 6);
    g.strokeStyle = color; g.lineWidth = 1.5;
    g.beginPath(); g.moveTo(0, 6); g.lineTo(6, 0); g.stroke();
    return ctx.createPattern(c, 'repeat');
  }
  var hatches = {};

  function drawLanes() {
    var ctx = lctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    ctx.font = '12px system-ui, "DejaVu Sans", sans-serif';
    ctx.textBaseline = 'middle';
    shadeBeforeTrace(ctx, H);
    ctx.strokeStyle = '#eaeef2';
    ctx.lineWidth = 1;
    ticks().forEach(function (v) {
      var px = Math.round(x(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(px, 0); ctx.lineTo(px, H); ctx.stroke();
    });
    var top = scroll.scrollTop;
    var first = Math.max(0, Math.floor(top / ROW)), last = Math.min(rows.length, Math.ceil((top + H) / ROW));
    var barRight = W - PAD;
    for (var r = first; r < last; r++) {
      var row = rows[r], y = r * ROW - top;
      if (row.g) {
        ctx.fillStyle = row.depth === 0 ? '#e6ebf0' : row.depth === 1 ? '#eef1f4' : '#f5f7f9';
        ctx.fillRect(0, y, W, ROW - 1);
        ctx.fillStyle = COLORS[row.cat] || '#333';
        ctx.fillRect(0, y, 4, ROW - 1);
        ctx.fillStyle = '#1f2328';
        ctx.font = (row.depth < 2 ? '600 ' : '') + '12px system-ui, "DejaVu Sans", sans-serif';
        var count = row.shown === row.total ? ' (' + row.total + ')' : ' (' + row.shown + ' of ' + row.total + ')';
        var label = (collapsed.has(row.key) ? '\u25b8 ' : '\u25be ') + vis(row.label) + count;
        ctx.fillText(label, 8 + row.depth * 14, y + ROW / 2, W - 16 - row.depth * 14);
        ctx.font = '12px system-ui, "DejaVu Sans", sans-serif';
        continue;
      }
      var t = row.t;
      if (t === selected) { ctx.fillStyle = '#fff3b0'; ctx.fillRect(0, y, W, ROW); }
      else if (t === hovered) { ctx.fillStyle = '#f0f6ff'; ctx.fillRect(0, y, W, ROW); }
      ctx.save();
      ctx.beginPath(); ctx.rect(0, y, LABEL - 6, ROW); ctx.clip();
      ctx.fillStyle = '#1f2328';
      ctx.fillText(vis(t.name == null ? '-' : t.name), 50, y + ROW / 2);
      ctx.fillStyle = '#59636e';
      ctx.fillText(String(t.tid), 8, y + ROW / 2);
      ctx.restore();
      drawBar(ctx, t, y + (ROW - BAR) / 2, barRight);
    }
    ctx.save();
    ctx.beginPath(); ctx.rect(LABEL, 0, W - LABEL, H); ctx.clip();
    var focus = hovered || selected;
    if (focus) { drawArrows(ctx, focus, top); }
    if (selected && selected !== focus) { drawArrows(ctx, selected, top); }
    ctx.restore();
    ctx.strokeStyle = '#d0d7de';
    ctx.beginPath(); ctx.moveTo(LABEL - 3.5, 0); ctx.lineTo(LABEL - 3.5, H); ctx.stroke();
  }

  function drawBar(ctx, t, y, barRight) {
    var color = COLORS[t.cat] || '#333';
    var s = barStart(t);
    var known = t.created != null ? t.created : (t.first != null ? Math.max(t.first, 0) : 0);
    var solidFrom = Math.max(known, 0);
    var end = t.exited != null ? t.exited : t1;
    var xs = Math.max(LABEL, x(s)), xk = Math.max(LABEL, x(solidFrom)), xe = Math.min(barRight, x(end));
    if (xe < LABEL || xs > barRight) { return; }
    // Unknown creation, or time before the trace began: hatched.
    if (xk > xs + 0.5) {
      if (!hatches[t.cat]) { hatches[t.cat] = hatchFor(ctx, color); }
      ctx.fillStyle = hatches[t.cat];
      ctx.fillRect(xs, y, Math.min(xk, xe) - xs, BAR);
      ctx.strokeStyle = color; ctx.lineWidth = 1;
      ctx.strokeRect(xs + 0.5, y + 0.5, Math.min(xk, xe) - xs - 1, BAR - 1);
    }
    ctx.fillStyle = color;
    var w = Math.max(2, xe - xk);
    if (t.exited == null) {
      // Alive at the end: the bar runs off the end with an open arrow.
      ctx.fillRect(xk, y, Math.max(0, w - 6), BAR);
      if (x(t1) <= barRight + 1) {
        ctx.beginPath(); ctx.moveTo(xe - 7, y - 1); ctx.lineTo(xe, y + BAR / 2); ctx.lineTo(xe - 7, y + BAR + 1); ctx.closePath(); ctx.fill();
      } else {
        ctx.fillRect(xe - 6, y, 6, BAR);
      }
    } else {
      ctx.fillRect(xk, y, w, BAR);
      ctx.fillStyle = '#1f2328';
      if (xe - xk > 4) { ctx.fillRect(xk + w - 1.5, y - 1, 1.5, BAR + 2); }
    }
    // Name changes: a notch where the thread took a new name.
    if (t.names) {
      ctx.fillStyle = '#ffffff';
      ctx.strokeStyle = '#1f2328';
      for (var k = 1; k < t.names.length; k++) {
        var at = t.names[k][1];
        if (at == null) { continue; }
        var nx = x(at);
        if (nx < LABEL || nx > barRight) { continue; }
        ctx.beginPath(); ctx.moveTo(nx - 4, y - 2); ctx.lineTo(nx + 4, y - 2); ctx.lineTo(nx, y + 4); ctx.closePath(); ctx.fill(); ctx.stroke();
      }
    }
  }

  function rowY(i, top) { var r = rowOf[i]; return r < 0 ? null : r * ROW - top + ROW / 2; }

  function arrow(ctx, x0, y0, x1, y1, color) {
    ctx.strokeStyle = color; ctx.fillStyle = color; ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.bezierCurveTo(x0 - 18, y0 + (y1 - y0) * 0.1, x1 - 30, y1, x1 - 4, y1);
    ctx.stroke();
    ctx.beginPath(); ctx.moveTo(x1, y1); ctx.lineTo(x1 - 7, y1 - 4); ctx.lineTo(x1 - 7, y1 + 4); ctx.closePath(); ctx.fill();
    ctx.beginPath(); ctx.arc(x0, y0, 2.5, 0, Math.PI * 2); ctx.fill();
  }

  function drawArrows(ctx, f, top) {
    if (f.ci >= 0) {
      var yc = rowY(f.ci, top), yt = rowY(f.i, top);
      if (yc != null && yt != null) { arrow(ctx, x(barStart(f)), yc, x(barStart(f)), yt, '#cf222e'); }
    }
    var yf = rowY(f.i, top);
    if (yf == null) { return; }
    for (var k = 0; k < f.kids.length && k < MAX_ARROWS; k++) {
      var kid = T[f.kids[k]], yk = rowY(kid.i, top);
      if (yk == null) { continue; }
      arrow(ctx, x(barStart(kid)), yf, x(barStart(kid)), yk, '#0969da');
    }
  }

  function drawPool() {
    var ctx = pctx, w = pool.clientWidth, h = PH, axis = 16, top = 6, bottom = h - axis;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    shadeBeforeTrace(ctx, bottom);
    ctx.font = '11px system-ui, "DejaVu Sans", sans-serif';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = '#1f2328';
    ctx.fillText('thread pool workers', 8, 14);
    ctx.fillStyle = '#59636e';
    ctx.fillText('area: alive   line: pool target', 8, 30);
    ctx.fillText('max ' + poolMax, 8, 46);
    function py(n) { return bottom - (bottom - top) * n / poolMax; }
    ctx.save();
    ctx.beginPath(); ctx.rect(LABEL, 0, w - LABEL, h); ctx.clip();
    // Alive workers: a filled step area.
    ctx.fillStyle = 'rgba(26,158,119,0.25)';
    ctx.beginPath(); ctx.moveTo(x(alive[0][0]), bottom);
    var prev = 0;
    alive.forEach(function (p) { ctx.lineTo(x(p[0]), py(prev)); ctx.lineTo(x(p[0]), py(p[1])); prev = p[1]; });
    ctx.lineTo(x(t1), py(prev)); ctx.lineTo(x(t1), bottom); ctx.closePath(); ctx.fill();
    // The pool's target after each adjustment: a step line with a dot per adjustment.
    if (data.pool.length > 0) {
      ctx.strokeStyle = '#0b6e4f'; ctx.lineWidth = 1.5; ctx.fillStyle = '#0b6e4f';
      ctx.beginPath();
      data.pool.forEach(function (p, k) {
        if (k === 0) { ctx.moveTo(x(p[0]), py(p[1])); } else { ctx.lineTo(x(p[0]), py(data.pool[k - 1][1])); ctx.lineTo(x(p[0]), py(p[1])); }
      });
      var lastP = data.pool[data.pool.length - 1];
      ctx.lineTo(x(t1), py(lastP[1]));
      ctx.stroke();
      data.pool.forEach(function (p) {
        ctx.fillStyle = /starv/i.test(p[2]) ? '#cf222e' : '#0b6e4f';
        ctx.beginPath(); ctx.arc(x(p[0]), py(p[1]), 3, 0, Math.PI * 2); ctx.fill();
      });
    }
    ctx.restore();
    // The time axis.
    ctx.strokeStyle = '#d0d7de'; ctx.beginPath(); ctx.moveTo(LABEL, bottom + 0.5); ctx.lineTo(w - PAD, bottom + 0.5); ctx.stroke();
    ctx.fillStyle = '#59636e'; ctx.textAlign = 'center';
    ticks().forEach(function (v) {
      var px = x(v);
      ctx.fillRect(Math.round(px), bottom, 1, 4);
      ctx.fillText(fmt(v), px, bottom + 10);
    });
    ctx.textAlign = 'left';
  }

  // ---- interaction -----------------------------------------------------------------------------------------------
  function rowAt(ev) {
    var rect = lanes.getBoundingClientRect();
    var r = Math.floor((ev.clientY - rect.top + scroll.scrollTop) / ROW);
    return r >= 0 && r < rows.length ? rows[r] : null;
  }

  function zoom(factor, px) {
    var at = px == null ? (view.a + view.b) / 2 : tAt(px);
    var span = Math.max(0.01, Math.min((t1 - t0) * 4, (view.b - view.a) * factor));
    var f = (at - view.a) / (view.b - view.a);
    view.a = at - span * f;
    view.b = view.a + span;
    schedule();
  }

  function pan(dt) { view.a += dt; view.b += dt; schedule(); }

  var drag = null;
  function startDrag(ev) {
    drag = { x: ev.clientX, a: view.a, b: view.b, moved: false };
  }
  window.addEventListener('mousemove', function (ev) {
    if (!drag) { return; }
    var dx = ev.clientX - drag.x;
    if (Math.abs(dx) > 3) { drag.moved = true; }
    var dt = dx / (W - LABEL - PAD) * (drag.b - drag.a);
    view.a = drag.a - dt; view.b = drag.b - dt;
    schedule();
  });
  window.addEventListener('mouseup', function () { setTimeout(function () { drag = null; }, 0); });

  function onWheel(ev) {
    if (ev.ctrlKey || ev.metaKey) {
      ev.preventDefault();
      var rect = ev.currentTarget.getBoundingClientRect();
      zoom(Math.exp(ev.deltaY * 0.002), ev.clientX - rect.left);
    } else if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {
      ev.preventDefault();
      pan((ev.deltaX || ev.deltaY) / (W - LABEL - PAD) * (view.b - view.a));
    }
  }

  lanes.addEventListener('wheel', onWheel, { passive: false });
  pool.addEventListener('wheel', onWheel, { passive: false });
  lanes.addEventListener('mousedown', function (ev) { if (ev.offsetX > LABEL) { startDrag(ev); } });
  pool.addEventListener('mousedown', startDrag);
  scroll.addEventListener('scroll', schedule);
  window.addEventListener('resize', resize);

  lanes.addEventListener('mousemove', function (ev) {
    if (drag) { return; }
    var row = rowAt(ev);
    var t = row && row.t ? row.t : null;
    if (t !== hovered) {
      hovered = t;
      status.textContent = t ? summaryLine(t) : row && row.g ? vis(row.label) + ': ' + row.shown + ' threads' : '';
      schedule();
    }
  });
  lanes.addEventListener('mouseleave', function () { if (hovered) { hovered = null; schedule(); } });
  lanes.addEventListener('click', function (ev) {
    if (drag && drag.moved) { return; }
    var row = rowAt(ev);
    if (!row) { return; }
    if (row.g) {
      if (collapsed.has(row.key)) { collapsed.delete(row.key); } else { collapsed.add(row.key); }
      buildRows();
    } else {
      select(row.t, false);
    }
  });

  pool.addEventListener('mousemove', function (ev) {
    if (drag) { return; }
    var at = tAt(ev.offsetX), best = null;
    data.pool.forEach(function (p) { if (Math.abs(x(p[0]) - ev.offsetX) < 5) { best = p; } });
    var n = 0;
    alive.forEach(function (p) { if (p[0] <= at) { n = p[1]; } });
    status.textContent = best
      ? 'pool adjustment at ' + fmt(best[0]) + ': ' + best[1] + ' workers (' + vis(best[2]) + ')'
      : ev.offsetX > LABEL ? fmt(at) + ': ' + n + ' workers alive' : '';
  });

  document.getElementById('tt-zoom-in').addEventListener('click', function () { zoom(0.5); });
  document.getElementById('tt-zoom-out').addEventListener('click', function () { zoom(2); });
  document.getElementById('tt-fit').addEventListener('click', function () { view.a = t0; view.b = t1; schedule(); });
  document.getElementById('tt-collapse').addEventListener('click', function () {
    T.forEach(function (t) { keysOf(t).forEach(function (k) { collapsed.add(k); }); });
    buildRows();
  });
  document.getElementById('tt-expand').addEventListener('click', function () { collapsed.clear(); buildRows(); });

  var search = document.getElementById('tt-search');
  search.addEventListener('input', function () {
    filter.q = search.value.trim().toLowerCase();
    words = filter.q.split(/\s+/).filter(function (w) { return w.length > 0; });
    buildRows();
  });
  function fillSelect(id, values, key) {
    var el = document.getElementById(id);
    values.forEach(function (v) {
      var o = document.createElement('option');
      o.value = v; o.textContent = v;
      el.appendChild(o);
    });
    el.addEventListener('change', function () { filter[key] = el.value; buildRows(); });
  }
  var present = function (f) { var s = new Set(); T.forEach(function (t) { s.add(f(t)); }); return s; };
  var cats = present(function (t) { return t.cat; });
  fillSelect('tt-category', data.categories.filter(function (c) { return cats.has(c); }), 'cat');
  fillSelect('tt-role', Array.from(present(function (t) { return t.role; })).sort(), 'role');

  (function legend() {
    var el = document.getElementById('tt-legend');
    data.categories.filter(function (c) { return cats.has(c); }).forEach(function (c) {
      var s = document.createElement('span');
      var sw = document.createElement('span');
      sw.className = 'sw'; sw.style.background = COLORS[c] || '#333';
      s.appendChild(sw); s.appendChild(document.createTextNode(c));
      el.appendChild(s);
    });
    var n = document.createElement('span');
    n.textContent = 'hatched: created before the trace or at an unknown time \u00b7 \u25b6 end: alive at the end \u00b7 \u25bc notch: renamed \u00b7 arrows: creator \u2192 created';
    el.appendChild(n);
  })();

  // ---- the selected thread ---------------------------------------------------------------------------------------
  function vis(s) {
    return String(s).replace(/[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g, function (c) {
      return '\\u' + ('0000' + c.charCodeAt(0).toString(16)).slice(-4);
    });
  }

  function createdText(t) {
    if (t.created == null) { return t.before ? 'before the trace' : 'unknown (first seen ' + fmt(t.first) + ')'; }
    return t.created < 0 ? fmt(t.created) + ' (before the trace)' : fmt(t.created);
  }

  function summaryLine(t) {
    return vis(t.name == null ? '-' : t.name) + '  tid ' + t.tid + '  ' + t.cat + '/' + t.role + '  ' + createdText(t) + ' \u2192 ' +
      (t.exited == null ? 'alive at the end' : fmt(t.exited)) + '  ' + vis(t.siteKey);
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text != null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }

  function threadLink(t) {
    var b = el('button', vis(t.name == null ? '-' : t.name) + ' (tid ' + t.tid + ')', 'link');
    b.type = 'button';
    b.addEventListener('click', function () { select(t, true); });
    return b;
  }

  function select(t, reveal) {
    selected = t;
    if (reveal) {
      keysOf(t).forEach(function (k) { collapsed.delete(k); });
      if (!matches(t)) { filter = { q: '', cat: '', role: '' }; words = []; search.value = ''; document.getElementById('tt-category').value = ''; document.getElementById('tt-role').value = ''; }
      buildRows();
      var y = rowOf[t.i] * ROW;
      if (y < scroll.scrollTop || y > scroll.scrollTop + H - ROW) { scroll.scrollTop = Math.max(0, y - H / 2); }
    }
    renderDetails(t);
    schedule();
  }

  function renderDetails(t) {
    details.textContent = '';
    details.appendChild(el('h3', vis(t.name == null ? '(no name)' : t.name) + ' \u2014 tid ' + t.tid + (t.mid != null ? ', managed id ' + t.mid : '')));
    var dl = el('dl');
    function row(k, v) { dl.appendChild(el('dt', k)); var d = el('dd'); if (typeof v === 'string') { d.textContent = v; } else { d.appendChild(v); } dl.appendChild(d); }
    row('category / role', t.cat + ' / ' + t.role);
    row('why', data.why[t.role] || '');
    row('created', createdText(t));
    if (t.cnote != null) { row('why', vis(t.cnote)); }
    row('exited', t.exited == null ? (data.hasCensus ? 'alive at the end' : 'no exit seen') : fmt(t.exited));
    if (t.names && t.names.length > 1) {
      row('names', t.names.map(function (n) { return vis(n[0]) + (n[1] == null ? '' : ' @ ' + fmt(n[1])); }).join(' \u2192 '));
    }
    var creator = el('span', null, 'creator');
    var where = t.site != null ? ' at ' + vis(t.site) : ' (runtime or framework code)';
    if (t.ci >= 0) {
      creator.appendChild(threadLink(T[t.ci]));
      creator.appendChild(document.createTextNode(where));
    } else if (t.ctid != null) {
      creator.textContent = 'tid ' + t.ctid + where;
    } else {
      creator.textContent = t.site != null ? vis(t.site) : 'not in the trace (' + (t.before ? 'created before the trace' : 'no creation event') + ')';
    }
    row('creator', creator);
    if (t.start != null) { row('start routine', vis(t.start)); }
    details.appendChild(dl);

    details.appendChild(el('h4', 'Evidence'));
    var table = el('table', null, 'evidence');
    var ev = t.ev.map(function (k) { return data.evidence[k]; });
    ev.sort(function (p, q) { return rank(q) - rank(p) || q[3] - p[3]; });
    function rank(e) { return e[2] == null ? 0 : e[2] === t.role ? 2 : 1; }
    if (ev.length === 0) { table.appendChild(trOf(['because', 'nothing in the trace explains it', '', ''])); }
    ev.forEach(function (e) {
      table.appendChild(trOf([e[2] == null ? 'note' : e[2] === t.role ? 'because' : 'against', vis(e[1]), e[0], e[2] == null ? '' : e[2] + ' +' + e[3]]));
    });
    details.appendChild(table);

    details.appendChild(el('h4', 'Creation stack'));
    if (t.stack && t.stack.length) {
      var ol = el('ol');
      t.stack.forEach(function (f) { ol.appendChild(el('li', vis(data.frames[f]))); });
      details.appendChild(ol);
    } else {
      details.appendChild(el('p', 'none in the trace', 'hint'));
    }

    if (t.kids.length) {
      details.appendChild(el('h4', 'Created ' + t.kids.length + ' thread' + (t.kids.length === 1 ? '' : 's')));
      var ul = el('ul');
      t.kids.slice(0, 200).forEach(function (k) { var li = el('li'); li.appendChild(threadLink(T[k])); ul.appendChild(li); });
      if (t.kids.length > 200) { ul.appendChild(el('li', '... ' + (t.kids.length - 200) + ' more')); }
      details.appendChild(ul);
    }
  }

  function trOf(cells) {
    var tr = el('tr');
    cells.forEach(function (c, k) { tr.appendChild(el('td', c, k === 0 ? 'verdict' : null)); });
    return tr;
  }

  // ---- for tests and for the curious: window.traceThreads -----------------------------------------------------------
  var api = {
    threads: T.length,
    lanes: function () { return threadRows; },
    groups: function () { return rows.filter(function (r) { return r.g; }).map(function (r) { return { depth: r.depth, label: r.label, count: r.shown }; }); },
    rowTop: function (tid) { for (var i = 0; i < T.length; i++) { if (T[i].tid === tid && rowOf[i] >= 0) { return rowOf[i] * ROW; } } return -1; },
    rowHeight: ROW,
    labelWidth: LABEL,
    lastDrawMs: function () { return lastDrawMs; },
    draws: function () { return drawCount; },
    firstDrawMs: null,
    view: function () { return { a: view.a, b: view.b }; },
  };
  window.traceThreads = api;
  buildRows();
})();
