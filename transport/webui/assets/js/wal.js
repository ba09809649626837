// The WAL page: `ovi wal replay` in the browser — filter by kind, resource
// and time range — and, when asked, follow new records as they commit.

import { h, replace, on, fmtTime, badge, append } from './dom.js';
import { get, follow, revText } from './api.js';
import * as R from './records.js';

const DEFAULT_LIMIT = 500;

// walPage draws the filter form for params (from the URL fragment) and the
// last `limit` matching records (the first ones with oldest=1), in revision
// order; with follow=1 it keeps appending new ones.
export async function walPage(root, signal, params, onError) {
  const q = {
    kind: params.get('kind') || '', resource_id: params.get('resource') || '',
    since: params.get('since') || '', until: params.get('until') || '',
    limit: params.get('limit') || String(DEFAULT_LIMIT),
  };
  const following = params.get('follow') === '1';
  const oldest = params.get('oldest') === '1';
  const page = await get('/v1/wal', { ...q, last: oldest ? '' : 'true' }, signal);
  const rows = h('tbody', null, page.records.map(row));
  const status = h('p', { id: 'wal-status', class: 'muted' }, statusText(page, following, 0, oldest));
  replace(root, filterForm(q, following, oldest), h('section', { class: 'panel' }, status,
    h('table', { id: 'wal', class: 'wal' },
      h('thead', null, h('tr', null, ['revision', 'time', 'kind', 'resource', 'node', 'decision', 'record'].map((c) => h('th', null, c)))),
      rows)));
  if (!following) return;
  const last = page.records.length ? revText(page.records[page.records.length - 1].revision) : `${page.revision}.4294967295`;
  let added = 0;
  follow({ ...q, limit: '', after: last }, (entry) => {
    append(rows, [row(entry)]);
    status.textContent = statusText(page, true, ++added, oldest);
  }, signal).catch((e) => { if (!signal.aborted) onError(e); });
}

function statusText(page, following, added, oldest) {
  const which = oldest ? 'the first' : 'the last';
  let s = `${page.more ? `${which} ` : ''}${page.records.length} records${page.more ? ' that match (narrow the filters or raise the limit for more)' : ''} at revision ${page.revision}`;
  if (following) s += ` · following live: ${added} new`;
  return s;
}

function row(e) {
  const r = e.record;
  return h('tr', { class: R.stageClass(r), 'data-revision': revText(e.revision), 'data-kind': r.kind },
    h('td', { class: 'rev' }, revText(e.revision)),
    h('td', null, fmtTime(r.time)),
    h('td', null, badge(r.kind, R.stageClass(r))),
    h('td', null, r.resource_id ? h('a', { href: `#/resource/${encodeURIComponent(r.resource_id)}` }, r.resource_id) : ''),
    h('td', null, r.node),
    h('td', null, r.decision_id || ''),
    h('td', null, R.describe(r)));
}

function field(label, name, value, placeholder) {
  return h('label', null, label, ' ', h('input', { type: 'text', name, value, placeholder, size: 24 }));
}

// filterForm edits the URL fragment (#/wal?kind=…&resource=…); the router
// redraws the page from it, so a filtered view can be bookmarked.
function filterForm(q, following, oldest) {
  const kinds = new Set(q.kind.split(',').filter(Boolean));
  const form = h('form', { id: 'wal-filter', class: 'panel filters', autocomplete: 'off' },
    h('fieldset', null, h('legend', null, 'kinds (none = all)'),
      R.KINDS.map((k) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'kind', value: k, checked: kinds.has(k) }), ` ${k}`))),
    field('resource', 'resource', q.resource_id, 'i-0abc…'),
    field('since', 'since', q.since, '2026-01-02T15:04:05Z'),
    field('until', 'until', q.until, 'RFC 3339, exclusive'),
    h('label', null, 'limit ', h('input', { type: 'number', name: 'limit', value: q.limit, min: 1, max: 100000 })),
    h('label', { class: 'check', title: 'the first records that match instead of the last' }, h('input', { type: 'checkbox', name: 'oldest', value: '1', checked: oldest }), ' oldest first'),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'follow', value: '1', checked: following }), ' follow live'),
    h('button', { type: 'submit' }, 'Show'));
  return on(form, 'submit', (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const p = new URLSearchParams();
    const picked = data.getAll('kind');
    if (picked.length) p.set('kind', picked.join(','));
    for (const k of ['resource', 'since', 'until', 'limit', 'oldest', 'follow']) {
      const v = String(data.get(k) || '').trim();
      if (v) p.set(k, v);
    }
    window.location.hash = `#/wal?${p}`;
  });
}
