// The fleet page: resources at a revision grouped by kind and group, with
// drift and blessed markers; a slider over the revisions of the reconcile
// cycles (with their action and failure counts) and the diff to now.

import { h, replace, on, fmtTime, badge, tagChips, kvList } from './dom.js';
import { get, stateAt, walAll, follow, revText } from './api.js';
import * as R from './records.js';

const PREFIX = 'resources/';

export async function fleetPage(root, signal, onError) {
  const [cur, summaries, decisions] = await Promise.all([
    stateAt(PREFIX, 0, signal),
    walAll({ kind: 'summary' }, signal),
    walAll({ kind: 'decided,executed,failed' }, signal),
  ]);
  const view = { signal, cur, points: timePoints(summaries.records, cur), decisions: decisions.records, seq: 0, timer: 0, onError };
  const last = view.points.length - 1;
  view.slider = h('input', { type: 'range', id: 'rev-slider', min: 0, max: last, step: 1, value: last, 'aria-label': 'revision' });
  view.label = h('div', { id: 'rev-label', class: 'rev-label' });
  view.strip = cycleStrip(view.points, (i) => { view.slider.value = String(i); select(view, i, 0); });
  view.body = h('div', { id: 'fleet-body' });
  replace(root, h('section', { class: 'panel' }, h('h2', null, 'Fleet over time'), view.label, view.slider, view.strip), view.body);
  on(view.slider, 'input', () => select(view, Number(view.slider.value), 120));
  await show(view, last);
  view.chain = Promise.resolve();
  follow({ kind: 'summary' }, (e) => { view.chain = view.chain.then(() => addPoint(view, e)).catch(onError); }, signal)
    .catch((e) => { if (!signal.aborted) onError(e); });
}

// addPoint adds a cycle that completed while the page is open; a view of
// "now" moves on to it.
async function addPoint(view, e) {
  const atEnd = Number(view.slider.value) === view.points.length - 1;
  const [cur, decisions] = await Promise.all([
    stateAt(PREFIX, e.revision.main, view.signal),
    walAll({ kind: 'decided,executed,failed', after: lastRevision(view.decisions) }, view.signal),
  ]);
  view.cur = cur;
  view.decisions.push(...decisions.records);
  const prev = view.points[view.points.length - 1];
  prev.current = false;
  if (!prev.summary) view.points.pop(); // the "now" of the page's opening is superseded
  view.points.push({ main: e.revision.main, time: e.record.time, summary: e.record.summary, cycle: e.record.cycle_id, current: true });
  const last = view.points.length - 1;
  view.slider.max = String(last);
  view.strip.replaceWith(view.strip = cycleStrip(view.points, (i) => { view.slider.value = String(i); select(view, i, 0); }));
  if (atEnd) {
    view.slider.value = String(last);
    await show(view, last);
  } else {
    await show(view, Number(view.slider.value)); // the diff to now has changed
  }
}

function lastRevision(entries) { return entries.length ? revText(entries[entries.length - 1].revision) : ''; }

// timePoints are the slider's stops: one per recorded cycle, then now.
function timePoints(summaries, cur) {
  const points = [];
  for (const e of summaries) {
    const p = { main: e.revision.main, time: e.record.time, summary: e.record.summary, cycle: e.record.cycle_id };
    if (points.length && points[points.length - 1].main === p.main) points[points.length - 1] = p;
    else if (p.main <= cur.revision) points.push(p);
  }
  if (!points.length || points[points.length - 1].main < cur.revision) points.push({ main: cur.revision, time: cur.time });
  points[points.length - 1].current = true;
  return points;
}

function cycleStrip(points, pick) {
  return h('div', { class: 'strip', id: 'cycle-strip' }, points.map((p, i) => {
    const s = p.summary;
    const title = `revision ${p.main} · ${fmtTime(p.time)}` + (s ? ` · ${s.actions} actions, ${s.failures} failures` : ' · now');
    const b = h('button', { type: 'button', class: `tick${s && s.failures ? ' fail' : ''}${s && s.dry_run ? ' dry' : ''}`, title, 'data-index': i, 'data-revision': p.main, 'aria-label': title });
    b.style.height = `${6 + Math.min(s ? s.actions : 0, 20) * 2}px`;
    return on(b, 'click', () => pick(i));
  }));
}

function select(view, i, delay) {
  clearTimeout(view.timer);
  view.timer = setTimeout(() => { show(view, i).catch(view.onError); }, delay);
}

// show loads the state at point i (and its diff to now) and draws it.
async function show(view, i) {
  const seq = ++view.seq;
  const p = view.points[i];
  drawLabel(view, i);
  const atNow = p.main === view.cur.revision;
  const [state, config, diff] = await Promise.all([
    atNow ? view.cur : stateAt(PREFIX, p.main, view.signal),
    stateAt('config', p.main, view.signal),
    atNow ? null : get('/v1/state/diff', { from: p.main, to: view.cur.revision }, view.signal),
  ]);
  if (seq !== view.seq) return; // the slider moved on meanwhile
  const cfgEntry = config.entries.find((e) => e.key === 'config' && e.record);
  const desired = cfgEntry ? cfgEntry.record.config.config : null;
  const index = R.decisionIndex(view.decisions, p.main);
  replace(view.body, fleetAt(p, state, desired, index, atNow), diff ? diffToNow(diff, p.main) : null);
  view.strip.querySelectorAll('.tick').forEach((t, j) => t.classList.toggle('sel', j === i));
}

function drawLabel(view, i) {
  const p = view.points[i];
  const s = p.summary;
  replace(view.label,
    h('strong', null, p.current ? `Now: revision ${p.main}` : `Revision ${p.main}`), ` · ${fmtTime(p.time)}`,
    s ? ` · cycle ${p.cycle || ''}: ${s.observed} observed, ${s.actions} actions, ${s.failures} failures${s.dry_run ? ' (dry run)' : ''}` : '');
}

// groups buckets resources by kind and group, managed groups first.
function groups(resources) {
  const by = new Map();
  for (const res of resources) {
    const g = R.resourceGroup(res);
    const key = `${R.resourceKind(res)}\u0000${res.managed === false ? '' : g}`;
    if (!by.has(key)) by.set(key, { kind: R.resourceKind(res), group: res.managed === false ? '' : g, items: [] });
    by.get(key).items.push(res);
  }
  return [...by.values()].sort((a, b) => (a.group === '') - (b.group === '') || a.kind.localeCompare(b.kind) || a.group.localeCompare(b.group));
}

function fleetAt(p, state, desired, index, atNow) {
  const resources = state.entries.filter((e) => e.record && e.record.observed).map((e) => e.record.observed.resource);
  return h('section', { id: 'fleet', class: 'panel', 'data-revision': p.main, 'data-current': atNow ? 'true' : 'false' },
    h('h2', null, atNow ? `Resources now (revision ${p.main})` : `Resources at revision ${p.main}`, h('span', { class: 'muted' }, ` · ${resources.length} resources`)),
    resources.length ? null : h('p', { class: 'muted' }, 'No resources observed at this revision.'),
    groups(resources).map((g) => groupTable(g, desired, index)));
}

function groupTable(g, desired, index) {
  const spec = g.group ? R.groupSpec(desired, g.group) : null;
  const live = g.items.filter((r) => !['terminated', 'shutting-down'].includes(r.state)).length;
  const want = spec && spec.count ? ` · ${live} of ${spec.count} desired` : '';
  const title = g.group || 'unmanaged (reported, never touched)';
  return h('div', { class: 'group', 'data-group': g.group, 'data-kind': g.kind },
    h('h3', null, badge(g.kind, 'kind'), ' ', title, h('span', { class: 'muted' }, ` · ${g.items.length}${want}`)),
    spec ? h('p', { class: 'muted spec' }, `desired: ${R.specText(spec)}`) : null,
    h('table', { class: 'resources' },
      h('thead', null, h('tr', null, ['ID', 'state', 'drift', 'markers', 'tags', 'attributes'].map((c) => h('th', null, c)))),
      h('tbody', null, g.items.map((res) => resourceRow(res, index)))));
}

function resourceRow(res, index) {
  const d = R.driftOf(res, index);
  return h('tr', { 'data-id': res.id, 'data-state': res.state, 'data-drift': d.drift },
    h('td', null, h('a', { href: `#/resource/${encodeURIComponent(res.id)}` }, res.id)),
    h('td', null, res.state),
    h('td', null, badge(d.drift, `drift-${d.drift}${d.failed ? ' failed' : ''}`, d.detail), d.action ? [' ', badge(d.action, `stage-${d.action}`, d.detail)] : null),
    h('td', null, R.isBlessed(res) ? badge('blessed', 'blessed', 'ovi:blessed=true: never deleted or stopped') : null,
      res.managed === false ? badge('unmanaged', 'unmanaged') : badge('managed', 'managed')),
    h('td', null, tagChips(res.tags)),
    h('td', null, h('span', { class: 'chips' }, R.attributes(res).map(([k, v]) => h('span', { class: 'chip attr' }, `${k}=${v}`)))));
}

// diffToNow lists the resources that differ between revision from and now.
function diffToNow(diff, from) {
  const changes = diff.changes.filter((c) => c.key.startsWith(PREFIX));
  return h('section', { id: 'diff', class: 'panel' },
    h('h2', null, `Diff from revision ${from} to now (${diff.to})`),
    changes.length ? h('table', { class: 'diff' },
      h('thead', null, h('tr', null, ['ID', 'change', 'then', 'now'].map((c) => h('th', null, c)))),
      h('tbody', null, changes.map(diffRow))) : h('p', { class: 'muted' }, 'No resource changed since.'));
}

function diffRow(c) {
  const before = resourceIn(c.before);
  const after = resourceIn(c.after);
  const id = c.key.slice(PREFIX.length);
  const change = !before ? 'appeared' : !after ? 'gone' : 'changed';
  return h('tr', { 'data-id': id, 'data-change': change },
    h('td', null, h('a', { href: `#/resource/${encodeURIComponent(id)}` }, id)),
    h('td', null, badge(change, `change-${change}`)),
    h('td', null, before ? summary(before, after) : '—'),
    h('td', null, after ? summary(after, before) : '—'));
}

function resourceIn(kv) { return kv && !kv.deleted && kv.record && kv.record.observed ? kv.record.observed.resource : null; }

// summary shows a resource's fields that differ from other's (all when other is absent).
function summary(res, other) {
  const mine = R.flatten(res, '').filter(([k]) => other || ['state', 'group', 'name', 'kind', 'type'].includes(k));
  const theirs = new Map(other ? R.flatten(other, '') : []);
  const pairs = mine.filter(([k, v]) => theirs.get(k) !== v);
  return pairs.length ? kvList(pairs, 'compact') : h('span', { class: 'muted' }, 'same');
}
