// The console dashboard: draws its charts with Chart.js (loaded before this file, from the package)
// from the console's stats JSON. Each chart's <figure> gets data-state="drawn" and data-points (the
// non-zero values drawn) once it shows real data, or data-state="error" with the reason. Each
// chart's <figcaption> says in words what the chart shows (its text alternative, with the totals),
// in the page's language (texts from <body data-texts>).
/* global document, window */
'use strict';

(function () {
  const root = document.getElementById('dashboard');
  if (!root || typeof window.Chart !== 'function') return;
  const Chart = window.Chart;
  const statsBase = root.getAttribute('data-stats');
  const palette = ['#2563eb', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];
  const charts = {};
  let texts = {};
  try {
    texts = JSON.parse(document.body.getAttribute('data-texts') || '{}');
  } catch {
    // Without texts the captions stay empty; the canvases keep their labels.
  }
  const sum = (values) => values.reduce((total, value) => total + (value || 0), 0);

  /** Writes the chart's text alternative into its figure's caption. */
  function caption(name, text) {
    const note = root.querySelector('[data-chart="' + name + '"] figcaption');
    if (note) note.textContent = text;
  }

  const getJson = (path) =>
    fetch(statsBase + path, { headers: { accept: 'application/json' }, credentials: 'same-origin' }).then(
      (r) => {
        if (!r.ok) throw new Error('HTTP ' + r.status + ' for ' + path);
        return r.json();
      },
    );

  const day = (iso) => iso.slice(5, 10);
  const hour = (iso) => iso.slice(11, 16);

  function mark(name, points) {
    const figure = root.querySelector('[data-chart="' + name + '"]');
    if (!figure) return;
    figure.setAttribute('data-state', 'drawn');
    figure.setAttribute('data-points', String(points));
  }

  function fail(name, error) {
    const figure = root.querySelector('[data-chart="' + name + '"]');
    if (!figure) return;
    figure.setAttribute('data-state', 'error');
    caption(name, texts.couldNotLoad + ' ' + error.message);
  }

  function draw(name, canvasId, config) {
    if (charts[name]) charts[name].destroy();
    const canvas = document.getElementById(canvasId);
    config.options = Object.assign(
      { responsive: true, maintainAspectRatio: false, animation: false },
      config.options,
    );
    charts[name] = new Chart(canvas, config);
  }

  const nonZero = (values) => values.filter((value) => value).length;

  let unsubscribes = null;
  function drawUnsubscribes() {
    const data = unsubscribes;
    const source = document.getElementById('unsubscribe-source').value;
    const rows = data.counts.filter((row) => !source || row.source === source);
    const groupIds = [...new Set(rows.map((row) => row.groupId))];
    const names = new Map(data.groups.map((group) => [group.id, group.name]));
    const dayIndex = new Map(data.days.map((iso, n) => [iso, n]));
    const datasets = groupIds.map((groupId, n) => {
      const values = data.days.map(() => 0);
      for (const row of rows) if (row.groupId === groupId) values[dayIndex.get(row.day)] += row.count;
      return {
        label: names.get(groupId) || texts.group + ' ' + groupId,
        data: values,
        backgroundColor: palette[n % palette.length],
        stack: 'groups',
      };
    });
    draw('unsubscribes', 'chart-unsubscribes', {
      type: 'bar',
      data: { labels: data.days.map(day), datasets },
      options: {
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
    mark(
      'unsubscribes',
      datasets.reduce((total, set) => total + nonZero(set.data), 0),
    );
    caption(
      'unsubscribes',
      [texts.total + ' ' + sum(datasets.map((set) => sum(set.data)))]
        .concat(datasets.map((set) => set.label + ': ' + sum(set.data)))
        .join('; '),
    );
    const bySource = new Map();
    for (const row of data.counts) bySource.set(row.source, (bySource.get(row.source) || 0) + row.count);
    const sources = [...bySource.keys()].sort();
    draw('sources', 'chart-sources', {
      type: 'doughnut',
      data: {
        labels: sources,
        datasets: [
          {
            data: sources.map((s) => bySource.get(s)),
            backgroundColor: sources.map((_, n) => palette[n % palette.length]),
          },
        ],
      },
    });
    mark('sources', sources.length);
    caption(
      'sources',
      [texts.total + ' ' + sum([...bySource.values()])]
        .concat(sources.map((s) => s + ': ' + bySource.get(s)))
        .join('; '),
    );
  }

  function loadDeliveries() {
    const endpoint = document.getElementById('delivery-endpoint').value;
    getJson('/stats/deliveries' + (endpoint ? '?endpoint=' + encodeURIComponent(endpoint) : ''))
      .then((data) => {
        const series = [
          [texts.delivered, data.delivered, '#059669'],
          [texts.retrying, data.retrying, '#d97706'],
          [texts.failed, data.failed, '#dc2626'],
        ];
        draw('deliveries', 'chart-deliveries', {
          type: 'bar',
          data: {
            labels: data.hours.map(hour),
            datasets: series.map(([label, values, color]) => ({
              label,
              data: values,
              backgroundColor: color,
              stack: 'outcome',
            })),
          },
          options: {
            scales: {
              x: { stacked: true },
              y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
            },
          },
        });
        mark(
          'deliveries',
          series.reduce((total, [, values]) => total + nonZero(values), 0),
        );
        caption('deliveries', series.map(([label, values]) => label + ': ' + sum(values)).join('; '));
      })
      .catch((error) => fail('deliveries', error));
  }

  getJson('/stats/unsubscribes')
    .then((data) => {
      unsubscribes = data;
      drawUnsubscribes();
      document.getElementById('unsubscribe-source').addEventListener('change', drawUnsubscribes);
    })
    .catch((error) => fail('unsubscribes', error));

  loadDeliveries();
  document.getElementById('delivery-endpoint').addEventListener('change', loadDeliveries);

  getJson('/stats/latency')
    .then((data) => {
      draw('latency', 'chart-latency', {
        type: 'line',
        data: {
          labels: data.hours.map(hour),
          datasets: [
            { label: texts.p50, data: data.p50Ms, borderColor: '#2563eb', spanGaps: true },
            { label: texts.p99, data: data.p99Ms, borderColor: '#dc2626', spanGaps: true },
          ],
        },
        options: { scales: { y: { beginAtZero: true } } },
      });
      mark('latency', nonZero(data.p50Ms));
      const highest = Math.max(0, ...data.p99Ms.filter((value) => typeof value === 'number'));
      caption('latency', texts.maxP99 + ' ' + highest);
    })
    .catch((error) => fail('latency', error));

  getJson('/stats/backlog')
    .then((data) => {
      document.getElementById('backlog-pending').textContent = String(data.pendingDeliveries);
      document.getElementById('backlog-events').textContent = String(data.undispatchedEvents);
      document.getElementById('backlog-oldest').textContent = data.oldestPendingAt
        ? data.oldestPendingAt.replace('T', ' ').slice(0, 19) +
          ' UTC (' +
          data.oldestPendingAgeSeconds +
          ' ' +
          texts.secondsAgo +
          ')'
        : texts.none;
    })
    .catch(() => undefined);
})();
