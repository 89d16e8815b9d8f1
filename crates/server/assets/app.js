// clickpath report and dashboard. Every string shown comes from a log and is hostile: this file
// builds the page with createElement / textContent / setAttribute only (no HTML parsing, no
// URL from the data), and runs under a Content-Security-Policy without 'unsafe-inline' or eval.
'use strict';

(function () {
  const SVG = 'http://www.w3.org/2000/svg';
  const live = document.body.dataset.mode === 'live';
  const root = document.getElementById('report');
  let options = null; // filter choices, from the first (unfiltered) report

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  const num = (n) => (n === null || n === undefined ? '-' : Number(n).toLocaleString('en-US'));
  const pct = (x) => (x === null || x === undefined ? '-' : (x * 100).toFixed(1) + '%');
  function dur(s) {
    if (s === null || s === undefined) return '-';
    s = Math.round(s);
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }
  const short = (s, n) => (s.length > n ? s.slice(0, n - 1) + '\u2026' : s);

  // Horizontal bars: rows of {label, value, extra?, err?}.
  function hbars(rows, opts) {
    opts = opts || {};
    const h = 20, lw = 190, bw = 330, W = lw + bw + 110;
    const max = Math.max(1, ...rows.map((r) => r.value));
    const s = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${rows.length * h + 4}`, width: W, height: rows.length * h + 4, role: 'img' });
    if (opts.name) s.setAttribute('data-chart', opts.name);
    rows.forEach((r, i) => {
      const y = i * h + 2;
      const g = svg('g', { 'data-label': r.label });
      if (opts.filter && live) {
        // A bar of the dashboard narrows it to that value.
        g.setAttribute('class', 'pick');
        g.addEventListener('click', () => pick(opts.filter, r.label));
      }
      g.append(svg('title', {}, r.label + ': ' + num(r.value) + (r.extra ? ' (' + r.extra + ')' : '')));
      g.append(svg('text', { x: lw - 6, y: y + 14, 'text-anchor': 'end' }, short(r.label, 30)));
      const w = Math.max(1, (r.value / max) * bw);
      g.append(svg('rect', { class: 'bar', x: lw, y: y + 3, width: w.toFixed(1), height: h - 6 }));
      if (r.err) {
        const ew = Math.max(1, (r.err / max) * bw);
        g.append(svg('rect', { class: 'err', x: lw, y: y + h - 7, width: ew.toFixed(1), height: 4 }));
      }
      g.append(svg('text', { x: lw + w + 6, y: y + 14, class: 'muted' },
        num(r.value) + (r.extra ? '  ' + r.extra : '')));
      s.append(g);
    });
    return s;
  }

  // Vertical bars: rows of {label, value}; every `every`-th label printed.
  function vbars(rows, opts) {
    opts = opts || {};
    const H = 150, pad = 28, W = 640;
    const bw = Math.min(rows.length <= 12 ? 80 : 48, Math.max(2, (W - pad) / Math.max(1, rows.length)));
    const max = Math.max(1, ...rows.map((r) => r.value));
    const every = Math.ceil(rows.length / 12);
    const s = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H + 34}`, width: W, height: H + 34, role: 'img' });
    if (opts.name) s.setAttribute('data-chart', opts.name);
    s.append(svg('line', { class: 'axis', x1: pad, y1: H, x2: W, y2: H }));
    s.append(svg('text', { x: 0, y: 10, class: 'muted' }, num(max)));
    rows.forEach((r, i) => {
      const x = pad + i * bw;
      const bh = (r.value / max) * (H - 14);
      const g = svg('g', { 'data-label': r.label });
      g.append(svg('title', {}, r.label + ': ' + num(r.value)));
      g.append(svg('rect', { class: 'bar', x: (x + 1).toFixed(1), y: (H - bh).toFixed(1),
        width: Math.max(1, bw - 2).toFixed(1), height: bh.toFixed(1) }));
      if (i % every === 0) {
        g.append(svg('text', { x: (x + bw / 2).toFixed(1), y: H + 14, 'text-anchor': 'middle', class: 'muted' },
          short(r.label, 12)));
      }
      s.append(g);
    });
    return s;
  }

  // A table; cells are strings/numbers or {text, cls}. `drill` gives each row its query.
  function table(head, rows, drill) {
    if (!rows.length) return el('p', { class: 'empty' }, 'none');
    const t = el('table');
    const tr = el('tr');
    head.forEach((h) => tr.append(el('th', { class: h.n ? 'n' : '' }, h.t)));
    if (drill && live) tr.append(el('th'));
    t.append(el('thead', {}, tr));
    const body = el('tbody');
    rows.forEach((r, i) => {
      const row = el('tr');
      r.forEach((c, j) => {
        const numeric = head[j].n;
        const text = numeric ? num(c) : c === null || c === undefined ? '' : String(c);
        row.append(el('td', { class: numeric ? 'n' : 's' }, text));
      });
      if (drill && live) {
        const q = drill(i);
        const cell = el('td');
        if (q) {
          const b = el('button', { class: 'drill', type: 'button', title: 'show the log lines' }, 'lines');
          b.addEventListener('click', () => showLines(q));
          cell.append(b);
        }
        row.append(cell);
      }
      body.append(row);
    });
    t.append(body);
    return t;
  }

  function card(title, wide, ...children) {
    const c = el('section', { class: 'card' + (wide ? ' wide' : '') });
    c.append(el('h2', {}, title));
    children.forEach((x) => x && c.append(x));
    return c;
  }
  const sub = (t) => el('h3', {}, t);

  function kpi(name, label, value, text) {
    return el('div', { class: 'kpi', 'data-kpi': name, 'data-value': String(value ?? '') },
      el('span', { class: 'label' }, label), el('span', { class: 'value' }, text ?? num(value)));
  }

  function funnelCard(f) {
    const lost = f.lost_conversions ? f.lost_conversions.by_step : [];
    const rows = f.steps.map((s, i) => ({
      label: s.name,
      value: s.sessions,
      err: lost[i] ? lost[i].errored : 0,
      extra: i === 0 ? '' : pct(s.conversion_from_first) + ' of first',
    }));
    const c = card('Funnel: ' + f.name, true);
    c.setAttribute('data-funnel', f.name);
    c.append(el('p', { class: 'note' },
      `${num(f.conversions)} conversions, ${pct(f.conversion_rate)} of sessions that started it` +
      (f.revenue !== null && f.revenue !== undefined ? `, revenue ${num(f.revenue)}` : '') +
      (f.server_errors ? `; ${num(f.server_errors.sessions)} sessions hit a server error on a step, ` +
        `${num(f.server_errors.not_converted)} of them did not convert` : '')));
    c.append(hbars(rows, { name: 'funnel' }));
    c.append(el('p', { class: 'note' }, 'Blue: sessions reaching the step in order. Red: of those, sessions that received an error on the step.'));
    c.append(table(
      [{ t: 'step' }, { t: 'sessions', n: 1 }, { t: 'from previous' }, { t: 'drop-off', n: 1 },
        { t: 'left here', n: 1 }, { t: 'left after an error', n: 1 }, { t: 'errored', n: 1 }, { t: 'lost (est.)', n: 1 }],
      f.steps.map((s, i) => [s.name, s.sessions, pct(s.conversion_from_previous), s.drop_off,
        s.left_here, s.left_after_error, lost[i] ? lost[i].errored : null,
        lost[i] ? Math.round(lost[i].lost * 10) / 10 : null])));
    if (f.lost_conversions) {
      c.append(el('p', { class: 'note' },
        `Estimated conversions lost to errors: ${num(Math.round(f.lost_conversions.estimate * 10) / 10)}` +
        (f.lost_conversions.value !== null ? ` (value ${num(Math.round(f.lost_conversions.value))})` : '')));
    }
    if (f.breakdown) {
      const last = f.steps.length - 1;
      for (const [dim, title] of [['channel', 'By channel'], ['device', 'By device'], ['campaign', 'By campaign']]) {
        const rows = f.breakdown[dim] || [];
        if (!rows.length) continue;
        c.append(sub(title));
        c.append(table([{ t: dim }, { t: 'started', n: 1 }, { t: 'converted', n: 1 }, { t: 'rate' }],
          rows.map((b) => [b.value, b.steps[0], b.steps[last], pct(b.conversion_rate)])));
      }
    }
    c.append(sub('Errors on the funnel\'s URLs'));
    c.append(table([{ t: 'status', n: 1 }, { t: 'path' }, { t: 'sessions', n: 1 }, { t: 'not converted', n: 1 }],
      (f.error_paths || []).map((e) => [e.status, e.path, e.sessions, e.not_converted]),
      (i) => ({ status: f.error_paths[i].status, path: f.error_paths[i].path })));
    return c;
  }

  // Incidents on the period's timeline: human requests per bucket (blue), their 5xx (red),
  // incident windows shaded, restarts as vertical lines.
  function timeline(r) {
    const b = r.time.timeline || [];
    if (!b.length) return null;
    const H = 120, pad = 28, W = 720;
    const t0 = Date.parse(b[0].at);
    const last = b[b.length - 1];
    const t1 = Date.parse(last.at) + last.minutes * 60000;
    const x = (t) => pad + ((Date.parse(t) - t0) / Math.max(1, t1 - t0)) * (W - pad);
    const max = Math.max(1, ...b.map((d) => d.human_requests));
    const s = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H + 30}`, width: W, height: H + 30, role: 'img', 'data-chart': 'timeline' });
    s.append(svg('text', { x: 0, y: 10, class: 'muted' }, num(max)));
    (r.incidents || []).forEach((i) => {
      const g = svg('g', { 'data-incident': i.kind });
      g.append(svg('title', {}, i.kind + ' ' + i.start + ' to ' + i.end));
      const x0 = x(i.start), x1 = Math.max(x0 + 2, x(i.end));
      g.append(svg('rect', { class: 'incident', x: x0.toFixed(1), y: 0, width: (x1 - x0).toFixed(1), height: H }));
      s.append(g);
    });
    const bw = (W - pad) / b.length;
    b.forEach((d, i) => {
      const g = svg('g', { 'data-label': d.at });
      g.append(svg('title', {}, `${d.at}: ${num(d.human_requests)} human requests, ${num(d.human_5xx)} of them 5xx`));
      const bh = (d.human_requests / max) * (H - 14);
      const eh = (d.human_5xx / max) * (H - 14);
      g.append(svg('rect', { class: 'bar', x: (pad + i * bw).toFixed(1), y: (H - bh).toFixed(1), width: Math.max(1, bw - 0.5).toFixed(1), height: bh.toFixed(1) }));
      if (d.human_5xx) g.append(svg('rect', { class: 'err', x: (pad + i * bw).toFixed(1), y: (H - eh).toFixed(1), width: Math.max(1, bw - 0.5).toFixed(1), height: Math.max(1, eh).toFixed(1) }));
      s.append(g);
    });
    (r.restarts || []).forEach((x_) => {
      const xs = x(x_.start);
      const g = svg('g', { 'data-restart': x_.how });
      g.append(svg('title', {}, `${x_.kind} ${x_.how} ${x_.start} to ${x_.end}`));
      g.append(svg('line', { class: 'restart', x1: xs.toFixed(1), y1: 0, x2: xs.toFixed(1), y2: H }));
      s.append(g);
    });
    s.append(svg('line', { class: 'axis', x1: pad, y1: H, x2: W, y2: H }));
    s.append(svg('text', { x: pad, y: H + 14, class: 'muted' }, b[0].at));
    s.append(svg('text', { x: W, y: H + 14, 'text-anchor': 'end', class: 'muted' }, new Date(t1).toISOString().replace('.000', '')));
    return s;
  }

  // Which requests an incident is about, for its "lines" button.
  function incidentDrill(i) {
    const w = { start: i.start, end: i.end };
    if (i.kind === 'not_found_storm') return Object.assign(w, { status: 404 });
    if (i.kind === 'rate_limit_storm') return Object.assign(w, { class: '4xx' });
    if (i.kind === 'traffic_drop') return w;
    return Object.assign(w, { class: '5xx' });
  }

  function incidentDetails(i) {
    const d = el('details', { 'data-incident': i.kind });
    d.append(el('summary', {}, `${i.kind.replace(/_/g, ' ')}, ${i.start} (${dur(i.duration_s)})`));
    d.append(el('p', {}, i.story));
    const causes = Object.entries(i.causes || {});
    if (causes.length) {
      d.append(sub('Error responses in the window by cause (5xx, 404, 403, 429)'));
      d.append(table([{ t: 'cause' }, { t: 'responses', n: 1 }], causes.sort((a, b) => b[1] - a[1])));
    }
    if ((i.top_urls || []).length) {
      d.append(sub('URLs'));
      d.append(table([{ t: 'status and path' }, { t: 'responses', n: 1 }], i.top_urls.map((u) => [u.value, u.count])));
    }
    const fl = i.first_lines || {};
    for (const [which, title] of [['access', 'First access-log lines'], ['error', 'First error-log lines']]) {
      const lines = fl[which] || [];
      if (!lines.length) continue;
      d.append(sub(title));
      const pre = el('pre');
      lines.forEach((l) => pre.append((l.file || '?') + ':' + l.line + '  ' + (l.text ?? '') + '\n'));
      d.append(pre);
    }
    if (live) {
      const q = incidentDrill(i);
      const a = el('button', { class: 'drill', type: 'button' }, 'all requests');
      a.addEventListener('click', () => showLines(q));
      const e = el('button', { class: 'drill', type: 'button' }, 'all error-log lines');
      e.addEventListener('click', () => showLines({ start: i.start, end: i.end }, 'error-lines'));
      d.append(el('p', {}, a, ' ', e));
    }
    return d;
  }

  function incidentsCard(r) {
    const e = r.errors;
    const log = r.error_log;
    if (!log && !(r.incidents || []).length && !(e.causes || []).length) return null;
    const c = card('Incidents', true);
    c.setAttribute('data-card', 'incidents');
    c.append(timeline(r));
    c.append(el('p', { class: 'note' }, 'Human requests over the period (UTC); red: server errors; shaded: incidents; lines: restarts and outages.'));
    const inc = r.incidents || [];
    c.append(table([{ t: 'incident' }, { t: 'start (UTC)' }, { t: 'duration' }, { t: 'responses', n: 1 }, { t: 'sessions started', n: 1 }, { t: 'conversions lost', n: 1 }],
      inc.map((i) => [i.kind.replace(/_/g, ' '), i.start, dur(i.duration_s), i.requests, i.sessions_started,
        i.conversions_lost === null || i.conversions_lost === undefined ? null : Math.round(i.conversions_lost * 10) / 10]),
      (i) => incidentDrill(inc[i])));
    inc.forEach((i) => c.append(incidentDetails(i)));
    if ((r.restarts || []).length || (r.reloads || []).length) {
      c.append(sub('Restarts and outages'));
      c.append(table([{ t: 'what' }, { t: 'how' }, { t: 'start (UTC)' }, { t: 'end (UTC)' }],
        r.restarts.map((x) => [x.kind, x.how, x.start, x.end]).concat((r.reloads || []).map((x) => ['server', x.what.replace(/_/g, ' '), x.at, x.at]))));
    }
    if ((e.causes || []).length) {
      c.append(sub('Why errors happened'));
      c.append(table([{ t: 'status', n: 1 }, { t: 'cause' }, { t: 'responses', n: 1 }],
        e.causes.map((x) => [x.status, x.cause.replace(/_/g, ' '), x.requests]),
        (i) => ({ status: e.causes[i].status })));
    }
    if (log) {
      c.append(el('p', { class: 'note' }, `Error log: ${num(log.events)} events, ${num(log.explaining)} of them explain a response; ` +
        `times read in ${log.zone} (${log.zone_from}). Levels: ` + log.by_level.map((l) => l.value + ' ' + num(l.count)).join(', ') + '.'));
      (log.notes || []).forEach((n) => c.append(el('p', { class: 'note' }, n)));
    }
    return c;
  }

  function render(r) {
    const t = r.traffic;
    const frag = document.createDocumentFragment();
    const period = r.period ? `${r.period.first || '?'} to ${r.period.last || '?'}` : '';
    const input = r.input || {};
    const rejected = input.rejected ? `, ${num(input.rejected)} lines rejected (` +
      Object.entries(input.rejected_by_reason || {}).map(([k, v]) => k + ' ' + num(v)).join(', ') + ')' : '';
    const other = input.read_with_another_format ?
      `, ${num(input.read_with_another_format)} lines read with another format` : '';
    const skipped = (input.skipped || []).length ?
      ` \u00b7 skipped: ${input.skipped.map((f) => f.file).join(', ')}` : '';
    document.getElementById('period').textContent = period +
      (input.requests !== undefined ? ` \u00b7 ${num(input.requests)} requests${rejected}${other}${skipped}` : '');

    const k = el('div', { class: 'kpis' });
    k.append(kpi('visitors', 'Visitors', t.visitors));
    k.append(kpi('sessions', 'Sessions', t.sessions));
    k.append(kpi('pageviews', 'Page views', t.pageviews));
    k.append(kpi('pages_per_session', 'Pages / session', t.pages_per_session, (t.pages_per_session || 0).toFixed(2)));
    k.append(kpi('bounce_rate', 'Bounce rate', t.bounce_rate, pct(t.bounce_rate)));
    k.append(kpi('session_duration_median_s', 'Median visit', t.session_duration.median_s, dur(t.session_duration.median_s)));
    k.append(kpi('bot_requests', 'Bot requests', t.bot_requests));
    if (r.funnels && r.funnels.length) k.append(kpi('conversions', 'Conversions (' + r.funnels[0].name + ')', r.funnels[0].conversions));
    k.append(kpi('broken_internal_links', 'Broken internal links', r.errors.broken_internal_links));
    frag.append(k);

    const g = el('div', { class: 'grid' });
    g.append(incidentsCard(r));
    g.append(card('Traffic by day', true,
      vbars(r.time.by_day.map((d) => ({ label: d.at, value: d.sessions })), { name: 'traffic' }),
      el('p', { class: 'note' }, 'Human sessions per day (local time of the log).'),
      table([{ t: 'day' }, { t: 'sessions', n: 1 }, { t: 'page views', n: 1 }, { t: 'human requests', n: 1 }, { t: 'requests', n: 1 }],
        r.time.by_day.map((d) => [d.at, d.sessions, d.pageviews, d.human_requests, d.requests]),
        (i) => ({ from: r.time.by_day[i].at, to: r.time.by_day[i].at }))));
    g.append(card('Traffic by hour of day', false,
      vbars(r.time.by_hour.map((d) => ({ label: d.at, value: d.pageviews })), { name: 'hours' }),
      el('p', { class: 'note' }, 'Human page views per hour.')));
    g.append(card('Channels', false,
      hbars(r.acquisition.channels.map((c) => ({ label: c.value, value: c.count })), { name: 'channels', filter: 'channel' }),
      sub('Campaigns'),
      table([{ t: 'source' }, { t: 'medium' }, { t: 'campaign' }, { t: 'sessions', n: 1 }],
        r.acquisition.campaigns.map((c) => [c.source, c.medium, c.campaign, c.sessions]),
        (i) => (r.acquisition.campaigns[i].campaign ? { campaign: r.acquisition.campaigns[i].campaign } : null)),
      sub('Referrer domains'),
      table([{ t: 'domain' }, { t: 'sessions', n: 1 }], r.acquisition.referrer_domains.map((c) => [c.value, c.count]))));
    g.append(card('Devices', false,
      hbars(r.technology.devices.map((c) => ({ label: c.value, value: c.count })), { name: 'devices', filter: 'device' }),
      sub('Browsers'),
      table([{ t: 'browser' }, { t: 'sessions', n: 1 }], r.technology.browsers.map((c) => [c.value, c.count])),
      sub('Operating systems'),
      table([{ t: 'os' }, { t: 'sessions', n: 1 }], r.technology.os.map((c) => [c.value, c.count])),
      r.technology.countries ? sub('Countries') : null,
      r.technology.countries ? table([{ t: 'country' }, { t: 'sessions', n: 1 }], r.technology.countries.map((c) => [c.value, c.count])) : null));
    g.append(card('Visit duration', false,
      vbars(t.session_duration.buckets.map((b) => ({ label: b.value || b.bucket, value: b.count ?? b.sessions })), { name: 'durations' }),
      el('p', { class: 'note' }, `Sessions by first-to-last request. Median ${dur(t.session_duration.median_s)}, ` +
        `90% under ${dur(t.session_duration.p90_s)}; ${num(t.bounces)} bounces (${pct(t.bounce_rate)}).`)));
    (r.funnels || []).forEach((f) => g.append(funnelCard(f)));
    if (r.goals && r.goals.length) {
      const c = card('Goals', true,
        table([{ t: 'goal' }, { t: 'conversions', n: 1 }, { t: 'rate' }, { t: 'value', n: 1 }],
          r.goals.map((x) => [x.name, x.conversions, pct(x.conversion_rate), x.value])));
      r.goals.forEach((x) => {
        c.append(sub(x.name + ' by channel'));
        c.append(table([{ t: 'channel' }, { t: 'sessions', n: 1 }, { t: 'conversions', n: 1 }, { t: 'rate' }],
          (x.by_channel || []).map((b) => [b.value, b.sessions, b.conversions, pct(b.conversion_rate)])));
      });
      g.append(c);
    }

    const e = r.errors;
    g.append(card('Broken links', true,
      el('p', { class: 'note' }, `${num(e.broken_internal_links)} not-found responses with a referrer on the site.`),
      table([{ t: 'linking page' }, { t: 'missing page' }, { t: 'hits', n: 1 }, { t: 'sessions', n: 1 }, { t: 'in funnel', n: 1 }],
        e.internal_links.map((l) => [l.source, l.target, l.hits, l.sessions, l.in_funnel_sessions]),
        (i) => ({ status: 404, path: e.internal_links[i].target })),
      sub('From other sites'),
      table([{ t: 'referrer domain' }, { t: 'missing page' }, { t: 'hits', n: 1 }, { t: 'sessions', n: 1 }],
        e.external_links.map((l) => [l.source, l.target, l.hits, l.sessions]),
        (i) => ({ status: 404, path: e.external_links[i].target })),
      e.slow_pages && e.slow_pages.length ? sub('Slow pages') : null,
      e.slow_pages && e.slow_pages.length ? table([{ t: 'path' }, { t: 'views', n: 1 }, { t: 'median ms', n: 1 }, { t: 'p95 ms', n: 1 }],
        e.slow_pages.map((p) => [p.path, p.views, p.p50_ms, p.p95_ms]), (i) => ({ path: e.slow_pages[i].path })) : null,
      sub('Rejected requests (403, 429 ...)'),
      el('p', { class: 'note' }, `Humans: ${num(e.rejected_humans.requests)} requests in ${num(e.rejected_humans.sessions)} sessions; bots: ${num(e.rejected_bots.requests)} requests.`)));

    g.append(card('Pages', false,
      table([{ t: 'path' }, { t: 'page views', n: 1 }], r.pages.top.map((p) => [p.value, p.count]),
        (i) => ({ path: r.pages.top[i].value })),
      sub('Entry pages'),
      table([{ t: 'path' }, { t: 'sessions', n: 1 }], r.pages.entry.map((p) => [p.value, p.count]),
        (i) => ({ path: r.pages.entry[i].value })),
      sub('Exit pages'),
      table([{ t: 'path' }, { t: 'sessions', n: 1 }], r.pages.exit.map((p) => [p.value, p.count]),
        (i) => ({ path: r.pages.exit[i].value }))));
    const next = r.pages.next;
    g.append(card('Paths', false,
      table([{ t: 'first pages of the session' }, { t: 'sessions', n: 1 }], r.pages.paths.map((p) => [p.value, p.count])),
      next ? sub(`After ${next.from} (${num(next.views)} views, ${num(next.exits)} left)`) : null,
      next ? table([{ t: 'next page' }, { t: 'views', n: 1 }], next.to.map((p) => [p.value, p.count])) : null));
    g.append(card('Status codes', false,
      hbars(r.statuses.classes.map((c) => ({ label: c.value, value: c.count })), { name: 'statuses' }),
      table([{ t: 'status' }, { t: 'requests', n: 1 }], r.statuses.all.map((c) => [c.value, c.count]),
        (i) => ({ status: r.statuses.all[i].value }))));
    g.append(card('Bots', false,
      el('p', { class: 'note' }, `${num(r.bots.requests)} requests from crawlers, tools and scanners, kept out of the figures above.`),
      hbars(r.bots.by_family.map((c) => ({ label: c.value, value: c.count })), { name: 'bots' }),
      table([{ t: 'bot' }, { t: 'family' }, { t: 'requests', n: 1 }], r.bots.by_name.map((b) => [b.name, b.family, b.requests]),
        (i) => ({ bot: r.bots.by_name[i].name }))));
    if (r.notes && r.notes.length) {
      const ul = el('ul');
      r.notes.forEach((n) => ul.append(el('li', {}, n)));
      g.append(card('Notes', true, ul));
    }
    frag.append(g);
    root.replaceChildren(frag);
    document.body.dataset.rendered = String(Number(document.body.dataset.rendered || 0) + 1);
  }

  // ---- the dashboard: filters, live refresh, drill-down ----
  const form = document.getElementById('filters');
  function query(extra) {
    const p = new URLSearchParams();
    if (form) {
      for (const [k, v] of new FormData(form)) if (v) p.set(k, v);
    }
    for (const [k, v] of Object.entries(extra || {})) p.set(k, String(v));
    return p.toString();
  }
  function setOptions(r) {
    if (options) return;
    options = {
      channel: r.acquisition.channels.map((c) => c.value),
      campaign: [...new Set(r.acquisition.campaigns.map((c) => c.campaign).filter(Boolean))],
      device: r.technology.devices.map((c) => c.value),
      country: (r.technology.countries || []).map((c) => c.value),
    };
    for (const [name, values] of Object.entries(options)) {
      const sel = form.elements[name];
      if (!sel) continue;
      values.forEach((v) => sel.append(el('option', { value: v }, v)));
      if (!values.length) sel.closest('label').hidden = true;
    }
    const days = r.time.by_day.map((d) => d.at);
    if (days.length) {
      form.elements.from.setAttribute('min', days[0]);
      form.elements.to.setAttribute('max', days[days.length - 1]);
    }
  }
  function pick(name, value) {
    const sel = form.elements[name];
    if (!sel || ![...sel.options].some((o) => o.value === value)) return;
    sel.value = value;
    load();
  }
  function showError(msg) {
    document.getElementById('error').textContent = msg || '';
  }
  let latest = 0; // answers to older requests are dropped
  async function load() {
    const mine = ++latest;
    try {
      const res = await fetch('/api/report?' + query(), { credentials: 'same-origin' });
      if (res.status === 401) { window.location.assign('/login'); return; }
      const body = await res.json();
      if (mine !== latest) return;
      if (!res.ok) { showError(body.error || res.statusText); return; }
      showError('');
      setOptions(body);
      render(body);
    } catch (e) {
      if (mine === latest) showError('The server did not answer: ' + e.message);
    }
  }
  // The log lines behind a figure: requests (with the dashboard's filters) or error-log events.
  async function showLines(q, what) {
    const box = document.getElementById('drill');
    const events = what === 'error-lines';
    const url = events ? '/api/error-lines?' + new URLSearchParams(Object.assign({ limit: 200 }, q)) :
      '/api/requests?' + query(Object.assign({ limit: 200 }, q));
    let res, body;
    try {
      res = await fetch(url, { credentials: 'same-origin' });
      body = await res.json();
    } catch (e) {
      showError('The server did not answer: ' + e.message);
      return;
    }
    const list = el('div');
    const desc = Object.entries(q).map(([k, v]) => k + ' = ' + v).join(', ');
    const close = el('button', { type: 'button' }, 'close');
    close.addEventListener('click', () => { box.hidden = true; });
    list.append(el('h2', {}, (events ? 'Error-log lines: ' : 'Log lines: ') + desc), close);
    if (!res.ok) {
      list.append(el('p', { class: 'error' }, body.error || res.statusText));
    } else {
      const rows = events ? body.events : body.requests;
      list.append(el('p', { class: 'note' }, `${num(body.total)} ${events ? 'error-log events' : 'requests'}; the first ${num(rows.length)}:`));
      const pre = el('pre');
      rows.forEach((r) => pre.append(r.file + ':' + r.line + '  ' + (r.raw ?? r.summary ?? r.message) + '\n'));
      list.append(pre);
    }
    box.replaceChildren(list);
    box.hidden = false;
  }

  if (!live) {
    const data = document.getElementById('report-data');
    render(JSON.parse(data.textContent));
    return;
  }
  form.addEventListener('change', load);
  const status = document.getElementById('live');
  const events = new EventSource('/api/events');
  events.addEventListener('update', () => {
    status.textContent = 'live, updated ' + new Date().toLocaleTimeString();
    load();
  });
  events.addEventListener('open', () => status.classList.add('on'));
  events.addEventListener('error', () => status.classList.remove('on'));
  load();
})();
