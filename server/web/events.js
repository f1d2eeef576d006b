// events.js - the live view's events (docs/gui.md): a timeline (window
// time across, one lane per event and per started query) and the
// drill-down tree, which event started which instance with its values.
// Fed record by record from the stream; everything shown as text.
'use strict';

const ev = { chart: null, lanes: [], tree: null, instances: {}, summaries: {}, lastFiring: {} };

// An output time (2026-01-01T00:00:03.000000Z) in ms since the epoch.
function timeMs(t) {
  const m = /^(.{19})(?:\.(\d+))?Z$/.exec(t || '');
  return m ? Date.parse(m[1] + 'Z') + (m[2] ? Number('0.' + m[2]) * 1000 : 0) : NaN;
}

// Its time of day, without the fraction's trailing zeros: 00:00:11.9976.
function clock(t) { return (t || '').slice(11, 26).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, ''); }

function pairs(obj) {
  return Object.entries(obj || {}).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ');
}

function eventsReset() {
  ev.lanes = []; ev.instances = {}; ev.summaries = {}; ev.lastFiring = {};
  ev.tree = document.getElementById('tree');
  ev.tree.replaceChildren();
  if (ev.chart) ev.chart.destroy();
  ev.chart = null;
  if (!window.Chart) return;
  ev.chart = new Chart(document.getElementById('timeline'), {
    type: 'scatter',
    data: { datasets: [
      { label: 'event fired', data: [], backgroundColor: '#3a6ea5', pointRadius: 5 },
      { label: 'instance started', data: [], backgroundColor: '#c62828', pointStyle: 'triangle', pointRadius: 7 } ] },
    options: { animation: false, maintainAspectRatio: false,
      scales: {
        x: { type: 'linear', ticks: { callback: v => new Date(v).toISOString().slice(11, 19), maxTicksLimit: 10 } },
        y: { type: 'linear', reverse: true, min: -0.5,
             afterBuildTicks: axis => { axis.ticks = ev.lanes.map((_, i) => ({ value: i })); },
             ticks: { callback: v => ev.lanes[v] ?? '' } } },
      plugins: { tooltip: { callbacks: { label: c => `${ev.lanes[c.raw.y]} at ${clock(c.raw.t)}${c.raw.what ? ': ' + c.raw.what : ''}` } } } },
  });
}

function lane(name) {
  let i = ev.lanes.indexOf(name);
  if (i < 0) { ev.lanes.push(name); i = ev.lanes.length - 1; }
  if (ev.chart) ev.chart.options.scales.y.max = ev.lanes.length - 0.5;
  return i;
}

// The tree's node of query instance q#i; one of the run's own (not
// started by an event) at the top when first seen.
function instanceNode(query, instance, parentUl, what) {
  const key = query + '#' + instance;
  if (ev.instances[key]) return ev.instances[key];
  const ul = el('ul');
  const li = el('li', { class: 'instance' }, el('span', { class: 'name', text: `${query} #${instance}` }),
                el('span', { class: 'muted', text: what ? ' ' + what : ' (from the start)' }), ul);
  li.dataset.query = query;
  li.dataset.instance = String(instance);
  (parentUl || ev.tree).append(li);
  ev.instances[key] = { li, ul };
  return ev.instances[key];
}

// The line that counts an instance's firings of one event that started
// nothing, with the latest one's values.
function summary(node, key, name) {
  let s = ev.summaries[key];
  if (!s) {
    s = { n: 0, name, last: null, prev: null, li: el('li', { class: 'event summary' }) };
    s.li.dataset.event = name;
    node.ul.append(s.li);
    ev.summaries[key] = s;
  }
  return s;
}

function summaryText(s) {
  s.li.textContent = `${s.name} fired ${s.n === 1 ? 'at' : s.n + ' times, last at'} ${clock(s.last.time)}: ${pairs(s.last.vals)}`;
}

function eventsAdd(kind, r) {
  if (kind === 'event') {
    const vals = r.row || r.values || {};
    if (ev.chart) ev.chart.data.datasets[0].data.push({ x: timeMs(r.time), y: lane(r.event), t: r.time, what: pairs(vals) });
    const node = instanceNode(r.query, r.instance);
    const key = `${r.query}#${r.instance}/${r.event}`;
    const s = summary(node, key, r.event);
    s.n++;
    s.prev = s.last;
    s.last = { time: r.time, vals };
    summaryText(s);
    ev.lastFiring[r.event] = { node, key, time: r.time, vals };
  } else if (kind === 'start') {
    if (ev.chart) ev.chart.data.datasets[1].data.push({ x: timeMs(r.time), y: lane('start ' + r.query), t: r.time,
                                                        what: `${r.query} #${r.instance} by ${r.trigger}` });
    // the firing that started it: the latest of its trigger, taken out of
    // its count and shown on its own with the instance under it
    const f = ev.lastFiring[r.trigger];
    let parentUl = null;
    if (f) {
      if (!f.li) {
        const s = ev.summaries[f.key];
        s.n--;
        s.last = s.prev;
        if (s.n === 0) { s.li.remove(); delete ev.summaries[f.key]; } else summaryText(s);
        f.ul = el('ul');
        f.li = el('li', { class: 'event fired' }, el('span', { class: 'name', text: r.trigger }),
                  ` fired at ${clock(f.time)}: ${pairs(f.vals)}`, f.ul);
        f.li.dataset.event = r.trigger;
        f.node.ul.insertBefore(f.li, s.n ? s.li : null);
      }
      parentUl = f.ul;
    }
    const params = r.params || {};
    instanceNode(r.query, r.instance, parentUl,
                 `started at ${clock(r.time)} by ${r.trigger}` + (Object.keys(params).length ? ' with ' + pairs(params) : ''));
  }
  if (ev.chart) ev.chart.update();
}
