// history.js - the history page (docs/gui.md): a program's query over a
// time range of its stored windows (the API's rows?from=&to=), filtered by
// a column, as a table, and the range's CSV and JSON to download.
'use strict';

const HISTORY_MAX_SHOWN = 2000;  // table rows; the downloads hold them all
const hist = { programs: {}, columns: [] };

function $h(id) { return document.getElementById('h-' + id); }

async function historyOpen() {
  const list = (await (await api('/api/programs')).json()).programs;
  const sel = $h('program'), keep = sel.value || state.program;
  sel.replaceChildren();
  for (const p of list) {
    const o = el('option', { text: `${p.id}: ${p.name} (${p.server || p.status})` }); o.value = p.id; sel.append(o);
  }
  if (keep !== null && keep !== '' && list.some(p => String(p.id) === String(keep))) sel.value = keep;
  await historyProgram();
}

async function historyProgram() {
  const id = $h('program').value, qs = $h('query');
  qs.replaceChildren();
  if (!id) return;
  const p = await (await api('/api/programs/' + id)).json();
  hist.programs[id] = p;
  for (const q of p.queries || []) { const o = el('option', { text: q.name }); o.value = q.name; qs.append(o); }
  historyQuery();
}

function historyQuery() {
  const p = hist.programs[$h('program').value], q = (p && p.queries || []).find(x => x.name === $h('query').value);
  hist.columns = q ? q.columns : [];
  const cs = $h('column');
  cs.replaceChildren(el('option', { text: '(no filter)', value: '' }));
  for (const c of hist.columns) { const o = el('option', { text: c.name }); o.value = c.name; cs.append(o); }
  historyLinks();
}

// The rows API's address for this program, query and range.
function historyUrl(format) {
  const a = new URLSearchParams({ query: $h('query').value, format });
  for (const k of ['from', 'to']) if ($h(k).value.trim()) a.set(k, $h(k).value.trim());
  return `/api/programs/${$h('program').value}/rows?` + a.toString();
}

function historyLinks() {
  for (const f of ['csv', 'json']) {
    const a = $h(f);
    a.href = historyUrl(f);
    a.download = `program-${$h('program').value}-${$h('query').value}.${f === 'json' ? 'ndjson' : 'csv'}`;
  }
}

// Behind a token a link cannot carry it: the file is fetched with it instead.
async function historyDownload(e) {
  if (!state.token) return;
  e.preventDefault();
  const link = e.currentTarget;  // (null once the handler has awaited)
  const r = await api(link.href);
  const url = URL.createObjectURL(await r.blob());
  const a = el('a', { href: url, download: link.download });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function historyMatch(v, op, want) {
  if (v === null || v === undefined) return false;
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return op === 'contains' ? s.includes(want) : s === want;
}

async function historyShow() {
  historyLinks();
  const info = $h('info'), tb = $h('table').tBodies[0], head = $h('table').tHead.rows[0];
  tb.replaceChildren();
  head.replaceChildren(...['window_start', 'window_end'].map(n => el('th', { text: n })),
                       ...hist.columns.map(c => el('th', { text: columnTitle(c) })));
  info.className = 'muted';
  info.textContent = 'reading...';
  const r = await api(historyUrl('json'));
  if (!r.ok) {
    info.className = 'error';
    info.textContent = (await r.json()).error || ('error ' + r.status);
    return;
  }
  const col = $h('column').value, op = $h('op').value, want = $h('value').value;
  const rows = (await r.text()).split('\n').filter(l => l).map(l => JSON.parse(l))
    .filter(x => x.type === 'row' && (!col || historyMatch(x.values[col], op, want)));
  const windows = new Set(rows.map(x => x.window_start || x.ts));
  for (const x of rows.slice(0, HISTORY_MAX_SHOWN))
    tb.append(el('tr', {}, el('td', { class: 'text', text: x.window_start || x.ts }),
                 el('td', { class: 'text', text: x.window_end || x.ts }),
                 ...hist.columns.map(c => el('td', { class: numeric(c) ? '' : 'text', text: human(x.values[c.name], c) }))));
  info.textContent = `${rows.length} rows in ${windows.size} windows` + (col ? ` where ${col} ${op} "${want}"` : '') +
    (rows.length > HISTORY_MAX_SHOWN ? ` (the first ${HISTORY_MAX_SHOWN} shown)` : '');
}

function historyInit() {
  $h('program').addEventListener('change', () => historyProgram());
  $h('query').addEventListener('change', historyQuery);
  for (const k of ['from', 'to']) $h(k).addEventListener('input', historyLinks);
  $h('show').addEventListener('click', () => historyShow().catch(e => setStatus(String(e), true)));
  for (const f of ['csv', 'json']) $h(f).addEventListener('click', historyDownload);
}
