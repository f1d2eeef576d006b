// topn.js - the top-N bar chart of a grouped query in the live view
// (docs/gui.md): the N largest groups of the latest window by a numeric
// column. Labels are drawn by Chart.js on its canvas, never as HTML.
'use strict';

const TOPN_SIZES = [5, 10, 20, 50];
const TOPN_DEFAULT = 10;
const TOPN_BAR_PX = 22;  // the chart's height per bar

// Adds the chart under query Q's section when Q has groups and a numeric
// column that is not a key.
function topNAdd(Q) {
  const keys = Q.q.columns.filter(c => c.key), vals = Q.q.columns.filter(c => !c.key && numeric(c));
  if (!keys.length || !vals.length || !window.Chart) return;
  const n = el('select', { class: 'topn-n' });
  for (const k of TOPN_SIZES) { const o = el('option', { text: String(k) }); o.value = String(k); n.append(o); }
  n.value = String(TOPN_DEFAULT);
  const by = el('select', { class: 'topn-by' });
  for (const c of vals) { const o = el('option', { text: c.name }); o.value = c.name; by.append(o); }
  const canvas = el('canvas', { class: 'topn' });
  const box = el('div', { class: 'chart topn-chart' }, canvas);
  Q.sec.append(el('div', { class: 'row' }, el('label', {}, 'top ', n), el('label', {}, 'groups by ', by),
                  el('span', { class: 'muted', text: 'in the latest window' })), box);
  const chart = new Chart(canvas, {
    type: 'bar',
    data: { labels: [], datasets: [{ label: '', data: [], backgroundColor: '#3a6ea5' }] },
    options: { indexAxis: 'y', animation: false, maintainAspectRatio: false,
               plugins: { legend: { display: false } },
               scales: { x: { beginAtZero: true, ticks: { callback: v => human(v, Q.q.columns.find(c => c.name === by.value)) } } } },
  });
  Q.topn = { n, by, box, chart };
  n.addEventListener('change', () => topNDraw(Q));
  by.addEventListener('change', () => topNDraw(Q));
}

// Redraws it from Q.latest, the latest window.
function topNDraw(Q) {
  if (!Q.topn || !Q.latest) return;
  const t = Q.topn, name = t.by.value;
  const rows = Q.latest.rows.filter(r => typeof r[name] === 'number')
    .sort((a, b) => b[name] - a[name]).slice(0, Number(t.n.value));
  t.box.style.height = Math.max(120, TOPN_BAR_PX * rows.length + 50) + 'px';
  t.chart.data.labels = rows.map(r => Q.q.columns.filter(c => c.key).map(c => human(r[c.name], c)).join(' → '));
  t.chart.data.datasets[0].label = name;
  t.chart.data.datasets[0].data = rows.map(r => r[name]);
  t.chart.update();
}
