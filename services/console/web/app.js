// The live view's page: one EventSource on /api/stream, every snapshot redrawn into plain SVG and tables. No framework
// and no chart library: a handful of lines and bars. Text from the data is set with textContent, never as HTML.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);

function fmt(n, digits = 0) {
  if (n === undefined || n === null || !Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
const pct = (p) => (Number.isFinite(p) ? `${(100 * p).toFixed(1)} %` : '–');

function el(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

function viewBox(svg) {
  const [, , w, h] = svg.getAttribute('viewBox').split(' ').map(Number);
  return { w, h };
}

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten. */
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v);
}

function polyline(points, cls) {
  return el('polyline', { class: cls, points: points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ') });
}

function drawRates(series) {
  const svg = $('rates-chart');
  clear(svg);
  const { w, h } = viewBox(svg);
  const pad = { l: 40, r: 46, t: 8, b: 18 };
  if (series.length < 2) {
    svg.appendChild(el('text', { x: w / 2, y: h / 2, 'text-anchor': 'middle' }, 'waiting for a second reading…'));
    return;
  }
  const t0 = series[0].atMs;
  const t1 = series[series.length - 1].atMs;
  const x = (t) => pad.l + ((t - t0) / Math.max(1, t1 - t0)) * (w - pad.l - pad.r);
  const left = niceMax(Math.max(...series.map((p) => Math.max(p.eventsPerS ?? 0, p.predictionsPerS ?? 0))));
  const right = niceMax(Math.max(...series.map((p) => p.lag ?? 0)));
  const yl = (v) => h - pad.b - (v / left) * (h - pad.t - pad.b);
  const yr = (v) => h - pad.b - (v / right) * (h - pad.t - pad.b);
  for (const f of [0, 0.5, 1]) {
    const y = yl(left * f);
    svg.appendChild(el('line', { class: 'grid', x1: pad.l, x2: w - pad.r, y1: y, y2: y }));
    svg.appendChild(el('text', { x: pad.l - 4, y: y + 3, 'text-anchor': 'end' }, fmt(left * f)));
    svg.appendChild(el('text', { x: w - pad.r + 4, y: y + 3 }, fmt(right * f)));
  }
  svg.appendChild(el('text', { x: pad.l, y: h - 4 }, `${Math.round((t1 - t0) / 1000)} s ago`));
  svg.appendChild(el('text', { x: w - pad.r, y: h - 4, 'text-anchor': 'end' }, 'now'));
  const line = (key, scale, cls) => {
    const pts = series.filter((p) => Number.isFinite(p[key])).map((p) => [x(p.atMs), scale(p[key])]);
    if (pts.length >= 2) svg.appendChild(polyline(pts, cls));
  };
  line('lag', yr, 's2');
  line('predictionsPerS', yl, 's1');
  line('eventsPerS', yl, 's0');
}

function drawHorizontalBars(svg, rows, cls) {
  clear(svg);
  const { w } = viewBox(svg);
  if (rows.length === 0) {
    svg.appendChild(el('text', { x: 4, y: 16 }, 'no data yet'));
    return;
  }
  const max = Math.max(1, ...rows.map((r) => r.value));
  const rowH = Math.min(26, 150 / rows.length);
  const labelW = 150;
  rows.forEach((r, i) => {
    const y = 4 + i * rowH;
    const bw = Math.max(r.value > 0 ? 2 : 0, (r.value / max) * (w - labelW - 60));
    svg.appendChild(el('text', { class: 'label', x: 0, y: y + rowH * 0.6 }, r.label));
    svg.appendChild(el('rect', { class: `bar ${cls}`, x: labelW, y: y + 2, width: bw, height: rowH - 6, rx: 2 }));
    svg.appendChild(el('text', { x: labelW + bw + 4, y: y + rowH * 0.6 }, r.text ?? fmt(r.value)));
  });
}

function drawLags(lags) {
  $('total-lag').textContent = lags.length === 0 ? '–' : fmt(lags.reduce((s, l) => s + l.lag, 0));
  drawHorizontalBars($('lag-chart'), lags.slice(0, 6).map((l) => ({ label: `${l.stage} ← ${l.topic}`, value: l.lag })), 'lag');
}

function drawDeadLetters(groups) {
  const body = $('dead-letters').querySelector('tbody');
  clear(body);
  if (groups === null) {
    $('dead-letters-total').textContent = '–';
    return;
  }
  $('dead-letters-total').textContent = fmt(groups.reduce((s, g) => s + g.count, 0));
  if (groups.length === 0) {
    const tr = body.insertRow();
    const td = tr.insertCell();
    td.colSpan = 3;
    td.className = 'empty';
    td.textContent = 'none so far';
    return;
  }
  const max = Math.max(...groups.map((g) => g.count));
  for (const g of groups) {
    const tr = body.insertRow();
    tr.insertCell().textContent = g.stage;
    const reason = tr.insertCell();
    reason.textContent = g.reason;
    reason.title = g.reason;
    const n = tr.insertCell();
    n.className = 'n';
    const meter = document.createElement('span');
    meter.className = 'meter';
    meter.style.width = `${Math.max(2, (40 * g.count) / max)}px`;
    n.append(meter, ` ${fmt(g.count)}`);
  }
}

function drawFunnel(funnel, windowMin) {
  $('funnel-window').textContent = `sessions with events in the last ${windowMin} min`;
  if (!funnel) {
    $('funnel-formula').textContent = funnel === null ? 'ClickHouse not readable' : 'no sessions in the window yet';
    drawHorizontalBars($('funnel-chart'), [], '');
    return;
  }
  $('funnel-formula').textContent =
    `P(view) ${pct(funnel.pView)} · P(cart | view) ${pct(funnel.pCartGivenView)} · P(purchase | cart) ${pct(funnel.pPurchaseGivenCart)} = P(purchase) ${pct(funnel.pPurchase)}`;
  drawHorizontalBars(
    $('funnel-chart'),
    [
      { label: 'sessions', value: funnel.sessions },
      { label: 'viewed a page', value: funnel.viewed, text: `${fmt(funnel.viewed)} (${pct(funnel.pView)})` },
      { label: 'added to cart', value: funnel.addedToCart, text: `${fmt(funnel.addedToCart)} (${pct(funnel.pCartGivenView)})` },
      { label: 'purchased', value: funnel.purchased, text: `${fmt(funnel.purchased)} (${pct(funnel.pPurchaseGivenCart)})` },
    ],
    '',
  );
}

function drawModels(runs, modelName) {
  $('model-name').textContent = modelName;
  const svg = $('auc-chart');
  clear(svg);
  const { w, h } = viewBox(svg);
  if (!runs || runs.length === 0) {
    $('model-version').textContent = '–';
    $('model-auc').textContent = '–';
    $('model-runs').textContent = runs ? '0' : '–';
    svg.appendChild(el('text', { x: w / 2, y: h / 2, 'text-anchor': 'middle' }, runs ? 'no model trained yet' : 'ClickHouse not readable'));
    return;
  }
  const promoted = runs.filter((r) => r.promoted && r.version !== null);
  const live = promoted[promoted.length - 1];
  $('model-version').textContent = live ? `v${live.version}` : 'none';
  $('model-auc').textContent = live ? fmt(live.auc, 3) : '–';
  $('model-runs').textContent = fmt(runs.length);
  const pad = { l: 30, r: 8, t: 8, b: 16 };
  const aucs = runs.map((r) => r.auc).filter(Number.isFinite);
  const lo = Math.min(0.5, ...aucs);
  const t0 = runs[0].trainedMs;
  const t1 = runs[runs.length - 1].trainedMs;
  const x = (t) => pad.l + (t1 === t0 ? 0.5 : (t - t0) / (t1 - t0)) * (w - pad.l - pad.r);
  const y = (a) => h - pad.b - ((a - lo) / (1 - lo)) * (h - pad.t - pad.b);
  for (const a of [lo, (lo + 1) / 2, 1]) {
    svg.appendChild(el('line', { class: 'grid', x1: pad.l, x2: w - pad.r, y1: y(a), y2: y(a) }));
    svg.appendChild(el('text', { x: pad.l - 3, y: y(a) + 3, 'text-anchor': 'end' }, a.toFixed(2)));
  }
  const pts = promoted.filter((r) => Number.isFinite(r.auc)).map((r) => [x(r.trainedMs), y(r.auc)]);
  if (pts.length >= 2) svg.appendChild(polyline(pts, 'auc-line'));
  for (const r of runs) {
    if (!Number.isFinite(r.auc)) continue;
    const dot = el('circle', { class: r.promoted ? 'promoted' : 'rejected', cx: x(r.trainedMs), cy: y(r.auc), r: r.promoted ? 3.5 : 2.5 });
    dot.appendChild(el('title', {}, `${r.promoted ? `v${r.version}` : 'not promoted'} · AUC ${fmt(r.auc, 3)} · ${r.decision}`));
    svg.appendChild(dot);
  }
  if (live && Number.isFinite(live.auc)) svg.appendChild(el('text', { class: 'label', x: x(live.trainedMs) - 4, y: y(live.auc) - 6, 'text-anchor': 'end' }, `v${live.version}`));
  svg.appendChild(el('text', { x: pad.l, y: h - 3 }, new Date(t0).toLocaleTimeString()));
  svg.appendChild(el('text', { x: w - pad.r, y: h - 3, 'text-anchor': 'end' }, new Date(t1).toLocaleTimeString()));
}

function drawScores(counts, windowMin) {
  $('scores-window').textContent = `P(purchase) of the last ${windowMin} min`;
  const svg = $('scores-chart');
  clear(svg);
  const { w, h } = viewBox(svg);
  if (!counts) {
    $('scores-total').textContent = '–';
    $('scores-mean').textContent = '–';
    return;
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const width = 1 / counts.length;
  const mean = total === 0 ? NaN : counts.reduce((s, n, i) => s + n * (i + 0.5) * width, 0) / total;
  $('scores-total').textContent = fmt(total);
  $('scores-mean').textContent = total === 0 ? '–' : `≈ ${mean.toFixed(3)}`;
  const pad = { l: 30, r: 4, t: 6, b: 16 };
  const max = niceMax(Math.max(...counts));
  const bw = (w - pad.l - pad.r) / counts.length;
  svg.appendChild(el('text', { x: pad.l - 3, y: pad.t + 8, 'text-anchor': 'end' }, fmt(max)));
  svg.appendChild(el('line', { class: 'grid', x1: pad.l, x2: w - pad.r, y1: h - pad.b, y2: h - pad.b }));
  counts.forEach((n, i) => {
    const bh = (n / max) * (h - pad.t - pad.b);
    const bar = el('rect', { class: 'bar alt', x: pad.l + i * bw + 1, y: h - pad.b - bh, width: Math.max(1, bw - 2), height: bh });
    bar.appendChild(el('title', {}, `${(i * width).toFixed(2)}–${((i + 1) * width).toFixed(2)}: ${fmt(n)}`));
    svg.appendChild(bar);
  });
  for (const p of [0, 0.5, 1]) svg.appendChild(el('text', { x: pad.l + p * (w - pad.l - pad.r), y: h - 3, 'text-anchor': p === 0 ? 'start' : p === 1 ? 'end' : 'middle' }, p.toFixed(1)));
}

let shownTail = new Set();
function drawTail(tail) {
  const body = $('tail').querySelector('tbody');
  clear(body);
  if (!tail || tail.length === 0) {
    const td = body.insertRow().insertCell();
    td.colSpan = 7;
    td.className = 'empty';
    td.textContent = tail ? 'no predictions in the last 10 minutes' : 'ClickHouse not readable';
    return;
  }
  const keys = new Set();
  for (const p of tail) {
    const key = `${p.userKey}|${p.predictedMs}|${p.modelVersion}`;
    keys.add(key);
    const tr = body.insertRow();
    if (!shownTail.has(key)) tr.className = 'fresh';
    tr.insertCell().textContent = new Date(p.predictedMs).toLocaleTimeString();
    tr.insertCell().textContent = p.userKey;
    tr.insertCell().textContent = p.sessionId;
    const v = tr.insertCell();
    v.className = 'n';
    v.textContent = `v${p.modelVersion}`;
    const prob = tr.insertCell();
    prob.className = 'n';
    prob.textContent = p.probability.toFixed(3);
    const meter = document.createElement('span');
    meter.className = 'meter';
    meter.style.width = `${Math.max(1, 120 * p.probability)}px`;
    tr.insertCell().appendChild(meter);
    // Why: the inputs that moved the log-odds most from the average visitor's, with sign.
    const why = tr.insertCell();
    why.className = 'why';
    why.textContent = (p.why ?? []).map((c) => `${c.input} ${c.contribution >= 0 ? '+' : '−'}${Math.abs(c.contribution).toFixed(2)}`).join(', ');
  }
  shownTail = keys;
}

function drawServices(services) {
  const box = $('services');
  clear(box);
  for (const s of services) {
    const span = document.createElement('span');
    span.className = s.up ? 'up' : 'down';
    span.textContent = s.name;
    span.title = s.up ? '/metrics answered' : '/metrics did not answer';
    box.appendChild(span);
  }
}

let lastSnapshotAt = 0;
function render(s) {
  lastSnapshotAt = Date.now();
  const now = s.series[s.series.length - 1] ?? {};
  $('events-per-s').textContent = fmt(now.eventsPerS, 1);
  $('enriched-per-s').textContent = fmt(now.enrichedPerS, 1);
  $('rows-per-s').textContent = fmt(now.rowsInsertedPerS, 1);
  $('predictions-per-s').textContent = fmt(now.predictionsPerS, 1);
  drawServices(s.services);
  drawRates(s.series);
  drawLags(s.lags);
  drawDeadLetters(s.deadLetters);
  drawFunnel(s.funnel, s.windowMin);
  drawModels(s.models, s.modelName);
  drawScores(s.scores, s.windowMin);
  drawTail(s.tail);
  $('status').textContent = `updated ${new Date(s.atMs).toLocaleTimeString()}`;
  $('errors').textContent = Object.entries(s.errors).map(([source, why]) => `${source}: ${why}`).join('\n');
  document.body.dataset.snapshots = String(Number(document.body.dataset.snapshots ?? 0) + 1);
}

const stream = new EventSource('/api/stream');
stream.addEventListener('snapshot', (e) => render(JSON.parse(e.data)));
stream.addEventListener('error', () => {
  $('status').textContent = 'disconnected, retrying…';
});
// A stream that went quiet (the console restarted behind a proxy that kept the socket) shows as stale.
setInterval(() => {
  if (lastSnapshotAt > 0 && Date.now() - lastSnapshotAt > 10_000) $('status').textContent = `no update for ${Math.round((Date.now() - lastSnapshotAt) / 1000)} s`;
}, 2_000);
