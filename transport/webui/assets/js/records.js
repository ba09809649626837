// What the pages know about WAL records and resources. Resources are read
// generically: an envelope (id, kind or type, name or group, state, tags,
// managed, blessed) and every other field as an attribute, so a new
// resource kind shows without changes here.

export const TAG_BLESSED = 'ovi:blessed';
export const TAG_DECISION = 'ovi:decision';
export const KINDS = ['observed', 'decided', 'executing', 'executed', 'failed', 'config', 'summary', 'compaction', 'note'];
const ACTIONABLE = ['create', 'delete', 'update-tags', 'resize'];
const ENVELOPE = ['id', 'kind', 'type', 'name', 'group', 'state', 'tags', 'managed', 'blessed'];

export function cmpRev(a, b) { return a.main - b.main || a.sub - b.sub; }

// resourceKind is the kind of resource (instance, security group, …).
export function resourceKind(res) { return res.kind || res.type || 'resource'; }

// resourceGroup is the group (or name) a resource belongs to, '' if none.
export function resourceGroup(res) { return res.group || res.name || (res.tags || {})['ovi:group'] || ''; }

export function isBlessed(res) { return res.blessed === true || (res.tags || {})[TAG_BLESSED] === 'true'; }

// flatten turns nested values into [dotted key, text] pairs.
export function flatten(value, prefix, out = []) {
  if (value === null || value === undefined || value === '') return out;
  if (Array.isArray(value)) {
    if (value.length && value.every((v) => typeof v !== 'object')) out.push([prefix, value.join(', ')]);
    else value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  } else if (typeof value === 'object') {
    for (const k of Object.keys(value).sort()) flatten(value[k], prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.push([prefix, String(value)]);
  }
  return out;
}

// attributes are a resource's fields outside the envelope, flattened
// (a kind's attribute payload shows as "instance.size", …); launch times
// (Unix nanoseconds) as RFC 3339.
export function attributes(res) {
  const out = [];
  for (const k of Object.keys(res).sort()) {
    if (!ENVELOPE.includes(k)) flatten(res[k], k, out);
  }
  return out.map(([k, v]) => (/(^|\.)launch_time$/.test(k) && /^\d+$/.test(v) ? [k, new Date(Number(v) / 1e6).toISOString()] : [k, v]));
}

// payload is the record's own payload object (the field named by kind).
// (the JSON field names equal the kind names).
export function payload(rec) { return rec[rec.kind] || {}; }

// describe is the one-line text `ovi wal replay` shows for a record.
export function describe(rec) {
  const p = payload(rec);
  switch (rec.kind) {
    case 'observed': return describeObserved(rec, p);
    case 'decided': return (p.reason || `${p.action}: ${p.drift}`) + (p.dry_run ? ' (dry run)' : '');
    case 'executing': return p.description || `Starting ${p.action}`;
    case 'executed': return p.message || `Completed ${p.action}`;
    case 'failed': return `${p.action} failed${p.code ? `: ${p.code}` : ''}${p.message ? `: ${p.message}` : ''}${p.retryable ? ' (retryable)' : ''}`;
    case 'config': return `Configuration applied from ${p.source} (${((p.config || {}).groups || []).length} groups)`;
    case 'summary': return describeSummary(p);
    case 'compaction': return `History compacted below revision ${p.revision}`;
    case 'note': return p.text || '';
    default: return `${rec.kind} record`;
  }
}

function describeObserved(rec, p) {
  const res = p.resource || {};
  const id = res.id || rec.resource_id;
  if (p.change === 'new') return `Resource ${id} found in cloud (${res.state || '?'})`;
  if (p.change === 'gone') return `Resource ${id} no longer in cloud`;
  return `Resource ${id} changed (${res.state || '?'})`;
}

function describeSummary(s) {
  return `${s.dry_run ? 'Dry-run cycle' : 'Cycle'}: ${s.observed} observed, ${s.in_sync} in sync, ${s.missing} missing, ` +
    `${s.unwanted} unwanted, ${s.drifted} drifted, ${s.unmanaged} unmanaged; ${s.actions} actions, ${s.failures} failures`;
}

// stageClass names a record's place in a resource's life, for styling:
// refusals and holds apart from the decisions that act.
export function stageClass(rec) {
  if (rec.kind === 'decided') {
    const a = payload(rec).action;
    if (a === 'refuse' || a === 'hold' || a === 'report') return `stage-${a}`;
  }
  return `stage-${rec.kind}`;
}

// decisionIndex folds decided/executed/failed entries (revision order) up
// to revision atMain into: the latest real decision per resource and the
// outcome of each decision.
export function decisionIndex(entries, atMain) {
  const latest = new Map();
  const outcome = new Map();
  for (const e of entries) {
    if (e.revision.main > atMain) break;
    const r = e.record;
    if (r.kind === 'decided' && r.resource_id && !(r.decided || {}).dry_run) latest.set(r.resource_id, r);
    if ((r.kind === 'executed' || r.kind === 'failed') && r.decision_id) outcome.set(r.decision_id, r.kind);
  }
  return { latest, outcome };
}

// driftOf is the drift marker of a resource at the index's revision: the
// latest decision recorded for it, cleared once that decision executed.
// Returns {drift, detail, decision}.
export function driftOf(res, index) {
  if (res.managed === false) return { drift: 'unmanaged', detail: 'not managed by Ovi: reported, never touched' };
  const d = index.latest.get(res.id);
  if (!d) return { drift: 'in-sync', detail: 'no decision recorded for it' };
  const p = d.decided;
  const done = index.outcome.get(d.decision_id);
  if (ACTIONABLE.includes(p.action)) {
    if (done === 'executed') return { drift: 'in-sync', detail: `${p.action} executed (${d.decision_id})`, decision: d };
    return { drift: p.drift, detail: `${p.action} ${done || 'pending'}: ${p.reason}`, decision: d, failed: done === 'failed' };
  }
  return { drift: p.drift, detail: `${p.action}: ${p.reason}`, decision: d, action: p.action };
}

// groupSpec is the desired group (or named resource of another kind)
// called name in a wal.Config, or null.
export function groupSpec(config, name) {
  if (!config) return null;
  return [...(config.groups || []), ...(config.resources || [])].find((g) => g.name === name) || null;
}

// specText is a one-line summary of a desired group.
export function specText(g) {
  if (!g) return 'not in the desired configuration';
  return flatten(g, '').filter(([k]) => k !== 'name').map(([k, v]) => `${k} ${v}`).join(', ');
}
