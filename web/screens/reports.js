// Reports: a date range and an area; visits, coverage, problems opened / solved / overdue, the
// on-time rate, alerts answered within 60 s and 180 s and the median; a chart per day or week
// (uPlot) and the figures by area; CSV export for the office's spreadsheet.
import { t } from '../i18n.js';
import { h, replace } from '../dom.js';
import { api, failure, fetchBlob } from '../api.js';
import { addDays, areaSelect, residentIndex, loadSiteAndResidents } from '../workspace-kit.js';

let chosen = null;

export async function renderReports(main) {
  const loaded = await loadSiteAndResidents(main);
  if (!loaded) return;
  const { site, residents } = loaded;
  chosen ??= { from: `${site.today.slice(0, 8)}01`, to: site.today, area: '' };
  const { areas } = residentIndex(residents.items);
  const from = h('input', { type: 'date', id: 'rep-from', value: chosen.from });
  const to = h('input', { type: 'date', id: 'rep-to', value: chosen.to });
  const figures = h('section', { class: 'card', id: 'report-figures' });
  const chart = h('section', { class: 'card', id: 'report-chart' });
  const byArea = h('section', { class: 'card', id: 'report-areas' });
  const timing = h('p', { class: 'muted small', id: 'report-timing' });

  async function load() {
    Object.assign(chosen, { from: from.value, to: to.value });
    const q = `from=${chosen.from}&to=${chosen.to}${chosen.area ? `&area=${encodeURIComponent(chosen.area)}` : ''}`;
    try {
      const t0 = performance.now();
      const [report, series] = await Promise.all([api('GET', `/api/reports?${q}`), api('GET', `/api/reports/series?${q}`)]);
      replace(timing, t('rep_loaded', { ms: Math.round(performance.now() - t0) }));
      const pct = (x) => (x === null || x === undefined ? '—' : `${x}%`);
      const tile = (key, value, id) => h('div', { class: 'tile', 'data-figure': id ?? key }, h('span', { class: 'value' }, String(value)), h('span', { class: 'label' }, t(`rep_${key}`)));
      replace(figures, h('h2', {}, t('rep_figures')), h('div', { class: 'tiles' },
        tile('visits', report.visits), tile('coverage', pct(report.coverage)), tile('residentsVisited', `${report.residentsVisited}/${report.residents}`),
        tile('problemsOpened', report.problemsOpened), tile('problemsSolved', report.problemsSolved), tile('problemsOverdue', report.problemsOverdue),
        tile('onTimeRate', pct(report.onTimeRate)), tile('alerts', report.alerts.total),
        tile('within60', pct(report.alerts.acknowledgedWithin60s)), tile('within180', pct(report.alerts.acknowledgedWithin180s)),
        tile('median', report.alerts.medianSecondsToAcknowledge === null ? '—' : t('seconds', { n: Math.round(report.alerts.medianSecondsToAcknowledge) }))));
      await drawChart(chart, series);
      replace(byArea, h('h2', {}, t('rep_byArea')), h('div', { class: 'scroll' }, h('table', { id: 'area-table' },
        h('thead', {}, h('tr', {}, ['area', 'residents', 'visits', 'coverage', 'problemsOpened', 'problemsOverdue'].map((k) => h('th', {}, t(`rep_${k}`))))),
        h('tbody', {}, series.byArea.map((a) => h('tr', {}, h('td', {}, a.area ?? t('noArea')), h('td', {}, a.residents), h('td', {}, a.visits),
          h('td', {}, `${a.coverage}%`), h('td', {}, a.problemsOpened), h('td', {}, a.problemsOverdue)))))));
    } catch (err) { replace(figures, failure(err)); }
  }

  async function exportCsv(by, event) {
    const q = `from=${chosen.from}&to=${chosen.to}&by=${by}${chosen.area ? `&area=${encodeURIComponent(chosen.area)}` : ''}`;
    event.target.disabled = true;
    try {
      const url = URL.createObjectURL(await fetchBlob(`/api/reports/export.csv?${q}`));
      const a = h('a', { href: url, download: `report-${chosen.from}-${chosen.to}${by === 'day' ? '-by-day' : ''}.csv` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) { event.target.after(failure(err) ?? ''); } finally { event.target.disabled = false; }
  }

  for (const el of [from, to]) el.addEventListener('change', load);
  replace(main, h('h1', {}, t('nav_reports')),
    h('div', { class: 'card' },
      h('div', { class: 'two' }, h('div', {}, h('label', { for: 'rep-from' }, t('from')), from), h('div', {}, h('label', { for: 'rep-to' }, t('to')), to)),
      h('label', { for: 'rep-area' }, t('area')), areaSelect('rep-area', areas, chosen.area, (v) => { chosen.area = v; load(); }),
      h('span', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', id: 'csv-area', onclick: (e) => exportCsv('area', e) }, t('rep_csvArea')),
        h('button', { type: 'button', class: 'secondary', id: 'csv-day', onclick: (e) => exportCsv('day', e) }, t('rep_csvDay')))),
    timing, figures, chart, byArea);
  await load();
}

let uPlotModule;
async function drawChart(box, series) {
  if (!document.querySelector('link[href="/vendor/uplot.css"]')) document.head.append(h('link', { rel: 'stylesheet', href: '/vendor/uplot.css' }));
  uPlotModule ??= import('/vendor/uplot.js').then((m) => m.default);
  const uPlot = await uPlotModule;
  const xs = series.series.map((b) => Date.parse(`${b.start}T00:00:00Z`) / 1000);
  const data = [xs, series.series.map((b) => b.visits), series.series.map((b) => b.problemsOpened), series.series.map((b) => b.problemsSolved)];
  const holder = h('div', { class: 'plot' });
  replace(box, h('h2', {}, t(series.unit === 'day' ? 'rep_perDay' : 'rep_perWeek')), holder);
  const width = Math.max(280, box.clientWidth - 24);
  const bars = uPlot.paths.bars({ size: [0.6, 40] });
  const step = series.unit === 'day' ? 86_400 : 7 * 86_400;
  const dayFormat = new Intl.DateTimeFormat(document.documentElement.lang === 'zh-CN' ? 'zh-CN' : 'en-GB', { timeZone: 'UTC', month: 'numeric', day: 'numeric' });
  const label = (s) => dayFormat.format(new Date(s * 1000));
  // eslint-disable-next-line no-new
  new uPlot({
    width, height: 220, tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'UTC'),
    // half a bucket either side, so the first and last bars are whole; ticks on whole days or weeks
    scales: { x: { time: true, range: (_u, min, max) => [min - step / 2, max + step / 2] }, y: { range: (_u, _min, max) => [0, Math.max(4, max)] } },
    axes: [
      { space: 50, incrs: [86_400, 2 * 86_400, 7 * 86_400, 14 * 86_400, 28 * 86_400, 91 * 86_400], values: (_u, splits) => splits.map(label) },
      { size: 36 },
    ],
    legend: { live: false },
    series: [
      {},
      { label: t('rep_visits'), stroke: '#1f5fbf', fill: 'rgba(31,95,191,0.35)', paths: bars, points: { show: false } },
      { label: t('rep_problemsOpened'), stroke: '#b3261e', width: 2, points: { show: false } },
      { label: t('rep_problemsSolved'), stroke: '#1e7b3a', width: 2, points: { show: false } },
    ],
  }, data, holder);
}
