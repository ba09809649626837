// The resource page: one resource's life from the WAL, observed → decided
// → executing → executed/failed (refusals and holds included), each record
// expandable to its reason and fields, with the desired spec of its group
// in force at that point.

import { h, replace, fmtTime, badge, tagChips, kvList } from './dom.js';
import { stateAt, walAll, history, revText } from './api.js';
import * as R from './records.js';

export async function resourcePage(root, signal, id) {
  const [own, current, configs, notes] = await Promise.all([
    walAll({ resource_id: id }, signal),
    stateAt(`resources/${id}`, 0, signal),
    walAll({ kind: 'config' }, signal),
    stateAt(`notes/${id}`, 0, signal),
  ]);
  const now = exact(current, `resources/${id}`);
  const entries = await withDecisions(own.records, now, signal);
  const last = lastResource(entries, now);
  const group = last ? R.resourceGroup(last) : '';
  const note = exact(notes, `notes/${id}`);
  replace(root,
    header(id, now, last, current.revision, note),
    specNow(group, configs.records),
    stages(entries),
    h('section', { class: 'panel' }, h('h2', null, 'Timeline'),
      entries.length ? timeline(entries, configs.records, group) : h('p', { class: 'muted' }, 'No record concerns this resource (it may have been compacted away).')),
    own.truncated ? h('p', { class: 'muted' }, 'Only the first records are shown.') : null);
}

function exact(state, key) {
  const e = state.entries.find((kv) => kv.key === key && kv.record);
  return e ? e.record : null;
}

function lastResource(entries, now) {
  if (now && now.observed) return now.observed.resource;
  for (let i = entries.length - 1; i >= 0; i--) {
    if (entries[i].record.observed) return entries[i].record.observed.resource;
  }
  return null;
}

// withDecisions adds the decided and executing records of decisions that
// concern the resource without naming it (a create is decided for its
// group before the instance has an id), read from the decisions/ and
// intents/ keys' history, and sorts everything by revision.
async function withDecisions(records, now, signal) {
  const have = new Set(records.filter((e) => e.record.kind === 'decided').map((e) => e.record.decision_id));
  const ids = new Set(records.map((e) => e.record.decision_id).filter((d) => d && !have.has(d)));
  const tag = now && now.observed && (now.observed.resource.tags || {})[R.TAG_DECISION];
  if (tag && !have.has(tag)) ids.add(tag);
  const seen = new Set(records.map((e) => revText(e.revision)));
  const extra = await Promise.all([...ids].flatMap((d) => [history(`decisions/${d}`, signal), history(`intents/${d}`, signal)]));
  const out = [...records];
  for (const v of extra.flat()) {
    if (v.deleted || !v.record || seen.has(revText(v.mod_revision))) continue;
    seen.add(revText(v.mod_revision));
    out.push({ revision: v.mod_revision, record: v.record });
  }
  return out.sort((a, b) => R.cmpRev(a.revision, b.revision));
}

function header(id, now, last, revision, note) {
  const res = last || { id };
  const gone = !now;
  return h('section', { id: 'resource', class: 'panel', 'data-id': id },
    h('h2', null, badge(R.resourceKind(res), 'kind'), ' ', id, ' ',
      gone ? badge('gone', 'change-gone', 'not in the state now') : badge(res.state || '?', 'state'),
      R.isBlessed(res) ? [' ', badge('blessed', 'blessed')] : null,
      ' ', res.managed === false ? badge('unmanaged', 'unmanaged') : badge('managed', 'managed')),
    kvList([
      ['group', R.resourceGroup(res) || '—'],
      ['state', gone ? `gone (last seen ${res.state || '?'})` : res.state],
      ['tags', tagChips(res.tags)],
      ...R.attributes(res),
      ['as of', `revision ${revision}`],
      ...(note ? [['note', note.note.text]] : []),
    ]));
}

function specAt(configs, main, group) {
  let cfg = null;
  for (const e of configs) {
    if (e.revision.main > main) break;
    cfg = e;
  }
  return { at: cfg, spec: cfg ? R.groupSpec(cfg.record.config.config, group) : null };
}

function specNow(group, configs) {
  if (!group) return null;
  const { at, spec } = specAt(configs, Number.MAX_SAFE_INTEGER, group);
  return h('section', { class: 'panel', id: 'spec-now' }, h('h2', null, `Desired spec of group ${group} now`),
    at ? kvList(spec ? R.flatten(spec, '') : [['', 'not in the desired configuration']]) : h('p', { class: 'muted' }, 'No configuration applied yet.'),
    at ? h('p', { class: 'muted' }, `from ${at.record.config.source} at revision ${revText(at.revision)}`) : null);
}

function stages(entries) {
  const count = (k) => entries.filter((e) => e.record.kind === k).length;
  return h('section', { class: 'panel stages' }, ['observed', 'decided', 'executing', 'executed', 'failed', 'note'].map((k, i) =>
    [i ? h('span', { class: 'arrow' }, '→') : null, badge(`${k} ${count(k)}`, `stage-${k}`)]));
}

// timeline lists the records and, between them, where the desired spec of
// the resource's group changed (a configuration applied while it lived).
function timeline(entries, configs, group) {
  const items = [];
  const first = entries[0].revision;
  let prev = group ? R.specText(specAt(configs, first.main, group).spec) : '';
  const changes = group ? configs.filter((c) => R.cmpRev(c.revision, first) > 0) : [];
  let ci = 0;
  const upTo = (until) => { // the spec changes before until (all when null)
    for (; ci < changes.length && (!until || R.cmpRev(changes[ci].revision, until) < 0); ci++) {
      const text = R.specText(R.groupSpec(changes[ci].record.config.config, group));
      if (text !== prev) items.push(specChange(changes[ci], group, text));
      prev = text;
    }
  };
  for (const e of entries) {
    upTo(e.revision);
    items.push(recordItem(e, group && specAt(configs, e.revision.main, group).at ? prev : ''));
  }
  upTo(null);
  return h('ol', { id: 'timeline', class: 'timeline' }, items);
}

function specChange(c, group, text) {
  return h('li', { class: 'rec stage-config spec-change', 'data-spec-revision': revText(c.revision) },
    h('span', { class: 'rev' }, revText(c.revision)), ' ', h('time', null, fmtTime(c.record.time)), ' ',
    badge('desired', 'stage-config'), ` group ${group}: ${text}`);
}

function recordItem(e, specTextAt) {
  const rec = e.record;
  const p = R.payload(rec);
  const open = rec.kind === 'decided' || rec.kind === 'failed';
  return h('li', { class: `rec ${R.stageClass(rec)}`, 'data-revision': revText(e.revision), 'data-kind': rec.kind },
    h('details', { open: open ? true : null },
      h('summary', null, h('span', { class: 'rev' }, revText(e.revision)), ' ', h('time', null, fmtTime(rec.time)), ' ',
        badge(rec.kind === 'decided' ? `decided ${p.action}` : rec.kind, R.stageClass(rec)), ' ', R.describe(rec)),
      rec.kind === 'decided' ? h('p', { class: 'reason' }, h('strong', null, 'Why: '), p.reason || '(no reason recorded)', ` — drift ${p.drift}`) : null,
      specTextAt ? h('p', { class: 'muted' }, `desired spec in force: ${specTextAt}`) : null,
      kvList(R.flatten({ node: rec.node, term: rec.term, cycle: rec.cycle_id, decision: rec.decision_id, [rec.kind]: p }, ''), 'compact')));
}
