// app.js - the equery-server GUI (docs/gui.md). Everything shown from the
// server or a capture goes in with textContent: no HTML is built from data.
'use strict';

const state = { token: sessionStorage.getItem('equery-token'), view: 'editor', program: null, stream: null,
                queries: {}, flowChart: null, flow: null };

// ---- small helpers ----------------------------------------------------------------

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);  // strings become text nodes
  return e;
}

function setStatus(text, bad) {
  const s = document.getElementById('status');
  s.textContent = text;
  s.className = bad ? 'error' : '';
}

class Unauthorized extends Error {}

async function api(path, opts = {}) {
  opts.headers = Object.assign({}, opts.headers || {});
  if (state.token) opts.headers['Authorization'] = 'Bearer ' + state.token;
  const r = await fetch(path, opts);
  if (r.status === 401) { askToken(); throw new Unauthorized('a token is needed'); }
  return r;
}

function askToken(msg) {
  document.getElementById('login').hidden = false;
  document.querySelector('main').hidden = true;
  document.getElementById('login-error').textContent = msg || (state.token ? 'That token was refused.' : '');
}

// ---- human units -------------------------------------------------------------------

const SI = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
function si(v, unit) {
  for (const [f, p] of SI) if (Math.abs(v) >= f) return (v / f).toFixed(2) + ' ' + p + unit;
  return (Number.isInteger(v) ? String(v) : v.toFixed(2)) + (unit ? ' ' + unit : '');
}

function unitOf(col) {
  const n = col.name.toLowerCase();
  if (col.type === 'rate' || /bps|bits?_?per|rate/.test(n)) return 'bps';
  if (/pps/.test(n)) return 'pps';
  if (/bytes|octets|_len|len$/.test(n)) return 'B';
  if (/pkts|packets/.test(n)) return 'pkts';
  return '';
}

// a table's header: the column's name, and its unit unless the name is it
// ("bytes (B)", "bps", not "bps (bps)")
function columnTitle(col) {
  const u = unitOf(col);
  return u && u.toLowerCase() !== col.name.toLowerCase() ? `${col.name} (${u})` : col.name;
}

function numeric(col) {
  return /^(u8|u16|u32|u64|i64|real|rate|count|duration)$/.test(col.type) || /^u\d+$/.test(col.type);
}

function human(v, col) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' && numeric(col)) {
    if (col.type === 'duration') return si(v / 1e9, 's');
    return si(v, unitOf(col));
  }
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

// ---- views ---------------------------------------------------------------------------

function show(view) {
  state.view = view;
  for (const v of ['editor', 'live', 'history', 'boxes']) {
    document.getElementById('view-' + v).hidden = v !== view;
    document.getElementById('nav-' + v).classList.toggle('active', v === view);
  }
  if (view === 'boxes') refreshBoxes();
  if (view === 'live') refreshPrograms();
  if (view === 'history') historyOpen().catch(e => { if (!(e instanceof Unauthorized)) setStatus(String(e), true); });
}

// ---- the editor ------------------------------------------------------------------------

async function loadEditorChoices() {
  const ex = document.getElementById('example');
  try {
    const r = await api('/api/examples');
    if (r.ok) for (const e of (await r.json()).examples) {
      const o = el('option', { text: e.name }); o.value = e.name; o.dataset.source = e.source; ex.append(o);
    }
  } catch (e) { if (e instanceof Unauthorized) return; }
  const boxes = await (await api('/api/boxes')).json();
  const bc = document.getElementById('box-choices');
  bc.replaceChildren();
  for (const b of boxes.boxes) {
    const cb = el('input', { type: 'checkbox', class: 'box-choice' }); cb.checked = true; cb.value = b.address;
    bc.append(el('label', {}, cb, ' ' + b.address + ' '));
  }
  if (!boxes.boxes.length) { bc.textContent = '(this server has no boxes)'; document.getElementById('target-capture').checked = true; }
  const caps = await (await api('/api/captures')).json();
  const cs = document.getElementById('capture');
  cs.replaceChildren();
  for (const c of caps.captures.sort()) { const o = el('option', { text: c }); o.value = c; cs.append(o); }
}

function showDiagnostics(list, source) {
  const d = document.getElementById('diagnostics');
  d.replaceChildren();
  const lines = source.split('\n');
  for (const g of list) {
    const box = el('div', { class: 'diag ' + (g.severity || 'error') });
    const where = g.line ? `${g.file || 'program.eq'}:${g.line}:${g.column}` : (g.file || '');
    box.append(el('span', { class: 'where', text: where + (where ? ': ' : '') + (g.severity || 'error') + ': ' }),
               el('span', { class: 'message', text: g.message }));
    if (g.line && lines[g.line - 1] !== undefined) {
      const src = lines[g.line - 1];
      const width = Math.max(1, (g.end_column || g.column) - g.column + 1);
      const pre = el('pre', { class: 'marked' });
      pre.dataset.line = g.line;
      pre.dataset.column = g.column;
      pre.append(el('span', { class: 'lineno', text: String(g.line).padStart(3) + ' | ' }), src + '\n',
                 el('span', { class: 'caret', text: ' '.repeat(6 + g.column - 1) + '^' + '~'.repeat(width - 1) }));
      box.append(pre);
    }
    if (g.suggestion) box.append(el('div', { class: 'suggestion', text: 'suggestion: ' + g.suggestion }));
    for (const n of g.notes || []) box.append(el('div', { class: 'muted', text: `note (line ${n.line}): ${n.message}` }));
    d.append(box);
  }
  // the first mistake's place, selected in the text
  const first = list.find(g => g.line);
  if (first) {
    const ta = document.getElementById('source');
    let at = 0;
    for (let i = 0; i < first.line - 1 && i < lines.length; i++) at += lines[i].length + 1;
    ta.setSelectionRange(at + first.column - 1, at + (first.end_column || first.column));
  }
}

async function deploy() {
  const source = document.getElementById('source').value;
  const body = { source, name: document.getElementById('name').value };
  if (document.getElementById('target-capture').checked) body.capture = document.getElementById('capture').value;
  else body.boxes = [...document.querySelectorAll('.box-choice:checked')].map(c => c.value);
  const res = document.getElementById('deploy-result');
  res.textContent = 'compiling...';
  res.className = 'muted';
  document.getElementById('diagnostics').replaceChildren();
  let r;
  try {
    r = await api('/api/programs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  } catch (e) { res.textContent = String(e.message); res.className = 'error'; return; }
  const j = await r.json();
  if (r.status === 201) {
    res.textContent = 'deployed: program ' + j.id;
    res.className = '';
    state.program = j.id;
    show('live');
    return;
  }
  res.className = 'error';
  if (j.diagnostics) { res.textContent = 'the program has mistakes'; showDiagnostics(j.diagnostics, source); }
  else res.textContent = j.error || ('error ' + r.status);
}

// ---- the live view ------------------------------------------------------------------------

async function refreshPrograms() {
  const sel = document.getElementById('program');
  const list = (await (await api('/api/programs')).json()).programs;
  sel.replaceChildren();
  for (const p of list) {
    const o = el('option', { text: `${p.id}: ${p.name} (${p.server || p.status}) ${p.input || ''}` });
    o.value = p.id; sel.append(o);
  }
  if (state.program === null && list.length) state.program = list[0].id;
  sel.value = state.program;
  openProgram(state.program);
}

function stopStream() {
  if (state.stream) { state.stream.abort(); state.stream = null; }
}

async function openProgram(id) {
  stopStream();
  document.getElementById('queries').replaceChildren();
  document.querySelector('#events tbody').replaceChildren();
  eventsReset();
  document.getElementById('flow').hidden = true;
  state.queries = {};
  if (id === null || id === undefined) return;
  const p = await (await api('/api/programs/' + id)).json();
  document.getElementById('program-info').textContent = `${p.name} on ${p.input || '?'}: ${p.server || p.status}`;
  for (const q of p.queries || []) addQuery(q);
  follow(id, 0);
}

function addQuery(q) {
  const num = q.columns.filter(numeric);
  const sec = el('div', { class: 'query', id: 'query-' + q.name });
  const pick = el('select', { class: 'series' });
  for (const c of num) { const o = el('option', { text: c.name }); o.value = c.name; pick.append(o); }
  const head = el('tr');
  q.columns.forEach((c, i) => {
    const th = el('th', { text: columnTitle(c) });
    th.addEventListener('click', () => { Q.sort = Q.sort === i ? -i - 1 : i; renderTable(Q); });
    head.append(th);
  });
  const table = el('table', { class: 'data rows' }, el('thead', {}, head), el('tbody'));
  const canvas = el('canvas');
  sec.append(el('h3', { text: 'query ' + q.name }),
             el('div', { class: 'muted window', text: 'no window yet' }),
             table,
             el('div', { class: 'row' }, el('label', {}, 'chart of ', pick), el('span', { class: 'muted', text: q.columns.some(c => c.key) ? '(sum over the groups; click a row for its own history)' : '' })),
             el('div', { class: 'chart' }, canvas));
  document.getElementById('queries').append(sec);
  const Q = { q, sec, table, pick, windows: [], latest: null, sort: null, chart: null };
  if (num.length && window.Chart)
    Q.chart = new Chart(canvas, { type: 'line', data: { labels: [], datasets: [{ label: num[0].name, data: [], borderColor: '#3a6ea5', pointRadius: 2 }] },
                                  options: { animation: false, maintainAspectRatio: false, scales: { x: { ticks: { maxTicksLimit: 8 } } } } });
  pick.addEventListener('change', () => redrawChart(Q));
  topNAdd(Q);
  state.queries[q.name] = Q;
}

function colIndex(Q, name) { return Q.q.columns.findIndex(c => c.name === name); }

function renderTable(Q) {
  const tb = Q.table.tBodies[0];
  tb.replaceChildren();
  if (!Q.latest) return;
  const rows = Q.latest.rows.slice();
  if (Q.sort !== null) {
    const i = Q.sort < 0 ? -Q.sort - 1 : Q.sort, dir = Q.sort < 0 ? -1 : 1, name = Q.q.columns[i].name;
    rows.sort((a, b) => (a[name] > b[name] ? 1 : a[name] < b[name] ? -1 : 0) * dir);
  }
  for (const r of rows) {
    const tr = el('tr');
    for (const c of Q.q.columns) tr.append(el('td', { class: numeric(c) ? '' : 'text', text: human(r[c.name], c) }));
    tr.addEventListener('click', () => showFlow(Q, r));
    tb.append(tr);
  }
  Q.sec.querySelector('.window').textContent =
    `window ${Q.latest.start} to ${Q.latest.end}: ${Q.latest.rows.length} rows (${Q.windows.length} windows so far)`;
}

function redrawChart(Q) {
  if (!Q.chart) return;
  const name = Q.pick.value;
  Q.chart.data.labels = Q.windows.map(w => w.start.slice(11, 19));
  Q.chart.data.datasets[0].label = name + ' (all groups)';
  Q.chart.data.datasets[0].data = Q.windows.map(w => w.rows.reduce((s, r) => s + (typeof r[name] === 'number' ? r[name] : 0), 0));
  Q.chart.update();
}

function keyOf(Q, row) {
  return Q.q.columns.filter(c => c.key).map(c => `${c.name}=${row[c.name]}`).join(', ');
}

function showFlow(Q, row) {
  const key = keyOf(Q, row);
  const name = Q.pick.value;
  state.flow = { Q, key };
  document.getElementById('flow').hidden = false;
  document.getElementById('flow-title').textContent = `history of ${key || 'the row'} in query ${Q.q.name}: ${name}`;
  const pts = Q.windows.map(w => { const r = w.rows.find(x => keyOf(Q, x) === key); return r ? r[name] : 0; });
  const labels = Q.windows.map(w => w.start.slice(11, 19));
  if (state.flowChart) state.flowChart.destroy();
  if (window.Chart)
    state.flowChart = new Chart(document.getElementById('flow-chart'), { type: 'line',
      data: { labels, datasets: [{ label: key + ': ' + name, data: pts, borderColor: '#c62828', pointRadius: 2 }] },
      options: { animation: false, maintainAspectRatio: false } });
  document.getElementById('flow').scrollIntoView();
}

function onRecord(kind, lines) {
  const recs = lines.filter(l => l).map(l => JSON.parse(l));
  if (kind === 'window') {
    if (!recs.length) return;  // an empty window
    const Q = state.queries[recs[0].query];
    if (!Q) return;
    const w = { start: recs[0].window_start, end: recs[0].window_end, rows: recs.map(r => r.values) };
    Q.windows.push(w);
    Q.latest = w;
    renderTable(Q);
    redrawChart(Q);
    topNDraw(Q);
  } else if (kind === 'event' || kind === 'start') {
    for (const r of recs) {
      eventsAdd(kind, r);
      const tb = document.querySelector('#events tbody');
      tb.append(el('tr', {}, el('td', { class: 'text', text: r.time || r.window_end || '' }),
                   el('td', { class: 'text', text: r.event || ('start ' + (r.trigger || '')) }),
                   el('td', { class: 'text', text: r.query || '' }),
                   el('td', { class: 'text', text: pairs(r.row || r.params) })));
    }
  }
}

// Server-Sent Events over fetch (so the token goes in a header), resumed
// after the last id when the connection breaks.
async function follow(id, after) {
  const ctl = new AbortController();
  state.stream = ctl;
  let last = after;
  while (!ctl.signal.aborted) {
    try {
      const headers = { 'Last-Event-ID': String(last) };
      if (state.token) headers['Authorization'] = 'Bearer ' + state.token;
      const r = await fetch('/api/stream?program=' + id, { headers, signal: ctl.signal });
      if (r.status === 401) { askToken(); return; }
      if (!r.ok) { setStatus('stream: ' + r.status, true); return; }
      setStatus('following program ' + id);
      const reader = r.body.getReader(), dec = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let at;
        while ((at = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, at); buf = buf.slice(at + 2);
          let ev = 'message', evId = null; const data = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) evId = line.slice(4);
            else if (line.startsWith('event: ')) ev = line.slice(7);
            else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
          }
          if (evId !== null) last = Number(evId);
          if (ev === 'end') {
            setStatus(`program ${id}: ended`);
            document.getElementById('program-info').textContent += ' (its run has ended)';
            state.stream = null;
            return;
          }
          if (evId !== null) onRecord(ev, data);
        }
      }
    } catch (e) {
      if (ctl.signal.aborted) return;
      setStatus('stream broken, resuming after record ' + last, true);
    }
    await new Promise(res => setTimeout(res, 1000));
  }
}

// ---- boxes ---------------------------------------------------------------------------------

async function refreshBoxes() {
  const j = await (await api('/api/boxes')).json();
  const tb = document.querySelector('#boxes tbody');
  tb.replaceChildren();
  for (const b of j.boxes) {
    const s = b.status || {}, d = s.drops || {};
    const td = (t, cls) => el('td', { class: cls || '', text: t === undefined || t === null ? '' : String(t) });
    tb.append(el('tr', {}, td(b.address, 'text'), td(b.state + (b.error ? ': ' + b.error : ''), 'text state-' + b.state),
                 td(b.last_heartbeat ? `${b.last_heartbeat} (${b.silent_for_s.toFixed(1)} s ago)` : 'never', 'text'),
                 td(s.input ? `${s.input.kind} ${s.input.name}` : '', 'text'),
                 td(s.uptime_s !== undefined ? si(s.uptime_s, 's') : ''),
                 td(s.packets !== undefined ? si(s.packets, 'pkts') : ''), td(s.bytes !== undefined ? si(s.bytes, 'B') : ''),
                 td(s.drops ? `${d.nic} / ${d.kernel} / ${d.ring} / ${d.table_groups} / ${d.queue_frames}` : ''),
                 td(s.cpu_s !== undefined ? s.cpu_s.toFixed(2) + ' s' : ''),
                 td(s.programs ? s.programs.map(p => `${p.id} ${p.state}`).join(', ') : '', 'text')));
  }
  if (!j.boxes.length) tb.append(el('tr', {}, el('td', { colspan: '10', class: 'text muted', text: 'this server has no boxes (--box)' })));
}

// ---- start ---------------------------------------------------------------------------------

async function start() {
  document.getElementById('login').hidden = true;
  document.querySelector('main').hidden = false;
  try {
    await loadEditorChoices();
    show(state.view);
  } catch (e) { if (!(e instanceof Unauthorized)) setStatus(String(e), true); }
}

document.addEventListener('DOMContentLoaded', () => {
  for (const b of document.querySelectorAll('nav button')) b.addEventListener('click', () => show(b.dataset.view));
  document.getElementById('deploy').addEventListener('click', deploy);
  document.getElementById('example').addEventListener('change', e => {
    const o = e.target.selectedOptions[0];
    if (o && o.dataset.source !== undefined) {
      document.getElementById('source').value = o.dataset.source;
      document.getElementById('name').value = o.value;
    }
  });
  document.getElementById('program').addEventListener('change', e => { state.program = Number(e.target.value); openProgram(state.program); });
  document.getElementById('stop').addEventListener('click', async () => {
    if (state.program !== null) await api('/api/programs/' + state.program, { method: 'DELETE' });
    refreshPrograms();
  });
  historyInit();
  document.getElementById('login-form').addEventListener('submit', e => {
    e.preventDefault();
    state.token = document.getElementById('token').value.trim();
    sessionStorage.setItem('equery-token', state.token);
    start();
  });
  setInterval(() => { if (state.view === 'boxes') refreshBoxes().catch(() => {}); }, 2000);
  start();
});
