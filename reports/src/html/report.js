// ztpath HTML report: builds the findings, blast radius, paths and identity graph from the JSON
// island. Every string from the report is put in the page with textContent or setAttribute on a
// data-* attribute, never as markup, and no URL is built from it.
'use strict';
(function () {
  const T0 = performance.now();
  const D = restore(JSON.parse(document.getElementById('ztpath-data').textContent));
  // The report's data, as the JSON report holds it (read-only; for whoever inspects the page).
  Object.defineProperty(window, 'ztpathReport', { value: D });
  const SEV = ['critical', 'high', 'medium', 'low', 'info'];
  const PAGE = 50;
  const NODE_CAP = 1500;
  const EDGE_CAP = 4000;
  const SVGNS = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);

  // Controls, bidirectional marks and separators shown as escapes, as the terminal table does.
  const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;
  function vis(s) {
    return String(s === undefined || s === null ? '' : s).replace(UNSAFE, (c) => {
      const n = c.charCodeAt(0);
      if (n === 10) return '\\n';
      if (n === 13) return '\\r';
      if (n === 9) return '\\t';
      if (n === 0) return '\\0';
      if (n < 0x20 || n === 0x7f) return '\\x' + n.toString(16).padStart(2, '0');
      return '\\u{' + n.toString(16).padStart(4, '0') + '}';
    });
  }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = vis(text);
    return e;
  }
  function button(cls, text, onClick) {
    const b = el('button', cls, text);
    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
  }
  function clear(e) {
    while (e.firstChild) e.removeChild(e.firstChild);
  }
  function plural(n, one, many) {
    return n + ' ' + (n === 1 ? one : many);
  }

  // ---- the island ---------------------------------------------------------------------------
  // The island writes what the report repeats once (reports/src/html/island.rs, `encoding` 1):
  // evidence as [file index, line], node ids in `from`/`to` as node indices, hop details, `via`s
  // and blast-radius steps as indices into `strings`, path ids in `paths` lists as path indices,
  // and a path's id, auth and identity left out where its hops give them. Put every value back.
  function restore(R) {
    if (R.encoding === undefined) return R;
    if (R.encoding !== 1) throw new Error('unknown island encoding ' + R.encoding);
    const N = R.nodes, FILES = R.files, S = R.strings;
    function walk(v) {
      if (Array.isArray(v)) { for (let i = 0; i < v.length; i++) if (v[i] !== null && typeof v[i] === 'object') walk(v[i]); return; }
      for (const k in v) {
        const x = v[k];
        if (k === 'evidence' && Array.isArray(x)) {
          for (let i = 0; i < x.length; i++) {
            const e = x[i];
            if (Array.isArray(e)) x[i] = { file: FILES[e[0]], line: e[1] };
            else if (e !== null && typeof e === 'object') walk(e);
          }
        } else if ((k === 'from' || k === 'to') && typeof x === 'number') v[k] = N[x].id;
        else if ((k === 'detail' || k === 'via') && typeof x === 'number') v[k] = S[x];
        else if (k === 'steps' && Array.isArray(x)) { for (let i = 0; i < x.length; i++) if (typeof x[i] === 'number') x[i] = S[x[i]]; }
        else if (x !== null && typeof x === 'object') walk(x);
      }
    }
    walk(R.edges);
    walk(R.paths);
    for (const p of R.paths) {
      const h = p.hops;
      if (p.id === undefined) p.id = 'path:' + h[0].from + '->' + h[h.length - 1].to;
      if (h.length === 1) {
        if (p.auth === undefined && h[0].auth !== undefined) p.auth = h[0].auth;
        if (p.identity === undefined && h[0].identity !== undefined) p.identity = h[0].identity;
      }
    }
    walk(R.blast_radius);
    walk(R.findings);
    const pathId = (x) => (typeof x === 'number' ? R.paths[x].id : x);
    const ids = (o) => { if (Array.isArray(o.paths)) o.paths = o.paths.map(pathId); };
    R.findings.forEach(ids);
    R.blast_radius.forEach(ids);
    delete R.encoding;
    delete R.files;
    delete R.strings;
    return R;
  }

  // ---- indices ------------------------------------------------------------------------------
  const nodeIdx = new Map();
  D.nodes.forEach((n, i) => nodeIdx.set(n.id, i));
  const ruleById = new Map(D.rules.map((r) => [r.id, r]));
  const pathIdx = new Map();
  D.paths.forEach((p, i) => pathIdx.set(p.id, i));
  const findingIdx = new Map();
  D.findings.forEach((f, i) => findingIdx.set(f.id, i));
  const pathFrom = (p) => (p.hops.length ? p.hops[0].from : p.from);
  const pathTo = (p) => (p.hops.length ? p.hops[p.hops.length - 1].to : p.to);
  function nodeLabel(id) {
    const i = nodeIdx.get(id);
    if (i === undefined) return id;
    const n = D.nodes[i];
    return n.namespace ? n.namespace + '/' + n.name : n.name;
  }
  const subjectText = (s) => s.kind + ' ' + (s.namespace ? s.namespace + '/' : '') + s.name;
  const evText = (e) => (e.line ? e.file + ':' + e.line : e.file);

  // ---- findings -----------------------------------------------------------------------------
  const F = D.findings;
  const sevRank = (s) => SEV.indexOf(s);
  const groupOrder = (() => {
    const worst = new Map();
    F.forEach((f) => {
      const w = worst.get(f.rule);
      if (w === undefined || sevRank(f.severity) < w) worst.set(f.rule, sevRank(f.severity));
    });
    return [...worst.keys()].sort((a, b) => worst.get(a) - worst.get(b) || (a < b ? -1 : a > b ? 1 : 0));
  })();
  let hay = null;
  function haystack(i) {
    if (!hay) hay = new Array(F.length);
    if (hay[i] === undefined) {
      const f = F[i];
      hay[i] = [f.rule, subjectText(f.subject), f.message, f.evidence.map(evText).join(' '), f.id].join(' ').toLowerCase();
    }
    return hay[i];
  }
  const val = (id) => ($(id) ? $(id).value : '');
  function matches() {
    const sev = val('f-sev'), rule = val('f-rule'), ns = val('f-ns'), nhi = val('f-nhi'), tenet = val('f-tenet');
    const base = val('f-base'), supp = val('f-supp');
    const q = val('f-q').trim().toLowerCase();
    const out = [];
    for (let i = 0; i < F.length; i++) {
      const f = F[i];
      if (sev && f.severity !== sev) continue;
      if (rule && f.rule !== rule) continue;
      if (ns && (ns === '-' ? f.subject.namespace !== undefined : f.subject.namespace !== ns)) continue;
      if (nhi || tenet) {
        const r = ruleById.get(f.rule);
        if (!r) continue;
        if (nhi && r.owasp_nhi.indexOf(nhi) < 0) continue;
        if (tenet && r.nist_800_207.indexOf(tenet) < 0) continue;
      }
      if (base && f.baseline !== base) continue;
      if (supp === 'yes' && !f.suppressed) continue;
      if (supp === 'no' && f.suppressed) continue;
      if (q && haystack(i).indexOf(q) < 0) continue;
      out.push(i);
    }
    return out;
  }

  let printing = false;
  function findingItem(i) {
    const f = F[i];
    const li = el('li', 'finding');
    li.dataset.sev = f.severity;
    li.dataset.id = f.id;
    const head = el('div', 'f-head');
    head.append(el('span', 'badge sev-' + f.severity, f.severity), el('span', 'subj', subjectText(f.subject)));
    if (f.suppressed) head.append(el('span', 'badge supp', 'suppressed: ' + f.suppressed.reason));
    if (f.baseline) head.append(el('span', 'badge base-' + f.baseline, f.baseline));
    li.append(head, el('p', 'msg', f.message));
    if (f.evidence.length) {
      const ev = el('div', 'evidence');
      f.evidence.forEach((e) => ev.append(el('code', '', evText(e))));
      li.append(ev);
    }
    if (f.paths.length) {
      const ps = el('div', 'f-paths');
      ps.append(el('span', 'k', 'On ' + plural(f.paths.length, 'path', 'paths') + ':'));
      f.paths.slice(0, 5).forEach((pid) => {
        const pi = pathIdx.get(pid);
        if (pi === undefined) return;
        const p = D.paths[pi];
        const b = button('path-link', nodeLabel(pathFrom(p)) + ' → ' + nodeLabel(pathTo(p)), () => showPath(pi, true));
        b.dataset.path = pid;
        ps.append(b);
      });
      if (f.paths.length > 5) ps.append(el('span', 'more', 'and ' + (f.paths.length - 5) + ' more'));
      li.append(ps);
    }
    return li;
  }

  function ruleMeta(r) {
    const box = el('div', 'rule-meta');
    const tags = el('p', 'tags');
    tags.append(el('span', 'badge sev-' + r.severity, 'default ' + r.severity));
    r.owasp_nhi.forEach((c) => tags.append(el('span', 'badge cat', c)));
    r.nist_800_207.forEach((t) => tags.append(el('span', 'badge cat', 'NIST ' + t)));
    tags.append(el('span', 'doc', r.doc));
    box.append(tags);
    const why = el('p', 'why');
    why.append(el('b', '', 'Why. '), document.createTextNode(vis(r.rationale)));
    const fix = el('p', 'fix');
    fix.append(el('b', '', 'Fix. '), document.createTextNode(vis(r.remediation)));
    box.append(why, fix);
    return box;
  }

  function renderGroupBody(det, items) {
    if (det.dataset.rendered) return;
    det.dataset.rendered = '1';
    const r = ruleById.get(det.dataset.rule);
    if (r) det.append(ruleMeta(r));
    const ul = el('ul', 'findings');
    det.append(ul);
    let shown = 0;
    const more = button('more-btn noprint', '', () => page());
    function page() {
      const n = printing ? items.length : Math.min(items.length, shown + PAGE);
      for (; shown < n; shown++) ul.append(findingItem(items[shown]));
      more.textContent = 'Show ' + Math.min(PAGE, items.length - shown) + ' more (' + (items.length - shown) + ' left)';
      more.hidden = shown >= items.length;
    }
    det.append(more);
    det._page = page;
    page();
  }

  function renderFindings() {
    const m = matches();
    const count = $('f-count');
    count.textContent = m.length === F.length ? plural(F.length, 'finding', 'findings') : m.length + ' of ' + F.length + ' findings match';
    count.dataset.count = String(m.length);
    const byRule = new Map();
    m.forEach((i) => {
      const r = F[i].rule;
      if (!byRule.has(r)) byRule.set(r, []);
      byRule.get(r).push(i);
    });
    const host = $('f-groups');
    clear(host);
    const openAll = m.length <= 200 || printing;
    groupOrder.forEach((rid) => {
      const items = byRule.get(rid);
      if (!items) return;
      const det = el('details', 'rule-group');
      det.dataset.rule = rid;
      det.dataset.count = String(items.length);
      const r = ruleById.get(rid);
      const sum = el('summary');
      sum.append(
        el('span', 'badge sev-' + F[items[0]].severity, F[items[0]].severity),
        el('b', 'rid', rid),
        el('span', 'rtitle', r ? r.title : ''),
        el('span', 'rcount', plural(items.length, 'finding', 'findings')),
      );
      det.append(sum);
      det.addEventListener('toggle', () => {
        if (det.open) renderGroupBody(det, items);
      });
      if (openAll) {
        det.open = true;
        renderGroupBody(det, items);
      }
      host.append(det);
    });
    if (!m.length) host.append(el('p', 'empty', 'No finding matches these filters.'));
  }

  let fTimer = 0;
  ['f-sev', 'f-rule', 'f-ns', 'f-nhi', 'f-tenet', 'f-base', 'f-supp'].forEach((id) => {
    if ($(id)) $(id).addEventListener('change', renderFindings);
  });
  $('f-q').addEventListener('input', () => {
    clearTimeout(fTimer);
    fTimer = setTimeout(renderFindings, 150);
  });
  $('f-reset').addEventListener('click', () => {
    document.querySelectorAll('#f-filters select').forEach((s) => (s.value = ''));
    $('f-q').value = '';
    renderFindings();
  });
  function filterBy(id, value) {
    document.querySelectorAll('#f-filters select').forEach((s) => (s.value = ''));
    $('f-q').value = '';
    if ($(id)) $(id).value = value;
    renderFindings();
    $('findings').scrollIntoView();
  }
  document.querySelectorAll('.rule-link').forEach((b) => b.addEventListener('click', () => filterBy('f-rule', b.dataset.rule)));
  document.querySelectorAll('.card[data-sev]').forEach((c) => {
    c.tabIndex = 0;
    c.addEventListener('click', () => filterBy('f-sev', c.dataset.sev === 'total' ? '' : c.dataset.sev));
  });

  // ---- paged lists (blast radius, paths) ------------------------------------------------------
  function pagedList(opts) {
    let items = [];
    let pageNo = 0;
    function draw() {
      const host = $(opts.list);
      clear(host);
      const pages = Math.max(1, Math.ceil(items.length / PAGE));
      pageNo = Math.min(pageNo, pages - 1);
      items.slice(pageNo * PAGE, pageNo * PAGE + PAGE).forEach((i) => host.append(opts.item(i)));
      const c = $(opts.count);
      c.textContent = opts.countText(items.length);
      c.dataset.count = String(items.length);
      const pager = $(opts.pager);
      clear(pager);
      if (pages > 1) {
        const prev = button('', '‹ Previous', () => { pageNo--; draw(); });
        prev.disabled = pageNo === 0;
        const next = button('', 'Next ›', () => { pageNo++; draw(); });
        next.disabled = pageNo >= pages - 1;
        pager.append(prev, el('span', '', 'page ' + (pageNo + 1) + ' of ' + pages), next);
      }
    }
    function refresh() {
      items = opts.filter();
      pageNo = 0;
      draw();
    }
    return { refresh, show(i) { const k = items.indexOf(i); if (k >= 0) { pageNo = Math.floor(k / PAGE); draw(); } } };
  }

  function blastItem(i) {
    const b = D.blast_radius[i];
    const c = b.credential;
    const det = el('details', 'blast-item');
    det.dataset.cred = c.id;
    const sum = el('summary');
    const counts = Object.keys(b.counts).map((k) => b.counts[k] + ' ' + k).join(', ');
    sum.append(
      el('span', 'rank', '#' + (i + 1)),
      el('span', 'badge blast', 'score ' + b.score),
      el('span', 'ckind', c.kind),
      el('b', '', (c.namespace ? c.namespace + '/' : '') + c.name),
      el('span', 'fp', c.fingerprint || ''),
      el('span', 'counts', counts || 'reaches nothing further'),
    );
    det.append(sum);
    det.addEventListener('toggle', () => {
      if (!det.open || det.dataset.rendered) return;
      det.dataset.rendered = '1';
      const ev = el('div', 'evidence');
      c.evidence.forEach((e) => ev.append(el('code', '', evText(e))));
      det.append(ev);
      if (nodeIdx.has(c.id)) det.append(button('noprint', 'Show in graph', () => focusNode(nodeIdx.get(c.id), true)));
      const ul = el('ul', 'reaches');
      b.reaches.forEach((r) => {
        const li = el('li');
        li.append(el('span', 'badge cat', r.kind), el('span', 'target', r.target));
        const ol = el('ol', 'chain');
        r.chain.forEach((s) => { if (b.steps[s] !== undefined) ol.append(el('li', '', b.steps[s])); });
        li.append(ol);
        ul.append(li);
      });
      det.append(ul);
      const total = Object.keys(b.counts).reduce((a, k) => a + b.counts[k], 0);
      if (total > b.reaches.length) det.append(el('p', 'note', 'The first ' + b.reaches.length + ' of ' + total + ' reached items are listed.'));
    });
    return det;
  }
  const blast = pagedList({
    list: 'b-list', count: 'b-count', pager: 'b-pager', item: blastItem,
    countText: (n) => plural(n, 'credential', 'credentials'),
    filter: () => {
      const q = $('b-q').value.trim().toLowerCase();
      const out = [];
      D.blast_radius.forEach((b, i) => {
        const c = b.credential;
        if (!q || [c.id, c.kind, c.name, c.namespace || '', c.fingerprint || ''].join(' ').toLowerCase().indexOf(q) >= 0) out.push(i);
      });
      return out;
    },
  });
  $('b-q').addEventListener('input', () => blast.refresh());

  function methodClass(auth, identity) {
    if (auth === 'plaintext' || identity === 'lost' || identity === 'spoofable') return 'e-plain';
    if (auth === 'mesh-mtls' && identity === 'preserved') return 'e-mtls';
    if (auth === 'optional-mtls') return 'e-opt';
    if (auth === 'static-secret' || auth === 'bearer-token') return 'e-secret';
    return 'e-other';
  }
  function hopTable(p) {
    const t = el('table', 'hops');
    const hr = el('tr');
    ['#', 'From', 'To', 'Via', 'Method', 'Identity', 'Why', 'Evidence'].forEach((h) => hr.append(el('th', '', h)));
    t.append(hr);
    p.hops.forEach((h, k) => {
      const tr = el('tr');
      tr.append(el('td', '', String(k + 1)), el('td', '', nodeLabel(h.from)), el('td', '', nodeLabel(h.to)), el('td', '', h.via || ''));
      const m = el('td'); m.append(el('span', 'badge m ' + methodClass(h.auth, ''), h.auth));
      const id = el('td'); id.append(el('span', 'badge m ' + methodClass('', h.identity), h.identity));
      const ev = el('td'); h.evidence.forEach((e) => ev.append(el('code', '', evText(e))));
      tr.append(m, id, el('td', '', h.detail), ev);
      t.append(tr);
    });
    return t;
  }
  function pathItem(i) {
    const p = D.paths[i];
    const det = el('details', 'path-item');
    det.dataset.path = p.id;
    const sum = el('summary');
    sum.append(
      el('b', '', nodeLabel(pathFrom(p))), el('span', 'arrow', '→'), el('b', '', nodeLabel(pathTo(p))),
      el('span', 'badge m ' + methodClass(p.auth, p.identity), (p.auth || 'unknown') + ' · ' + (p.identity || 'unknown')),
      el('span', 'hopsn', plural(p.hops.length, 'hop', 'hops')),
    );
    if (p.findings.length) sum.append(el('span', 'badge flag', plural(p.findings.length, 'finding', 'findings')));
    det.append(sum);
    det.addEventListener('toggle', () => {
      if (!det.open || det.dataset.rendered) return;
      det.dataset.rendered = '1';
      det.append(el('p', 'pid', p.id), hopTable(p), button('noprint', 'Highlight in graph', () => showPath(i, true)));
    });
    return det;
  }
  const paths = pagedList({
    list: 'p-list', count: 'p-count', pager: 'p-pager', item: pathItem,
    countText: (n) => plural(n, 'path', 'paths'),
    filter: () => {
      const q = $('p-q').value.trim().toLowerCase();
      const flagged = $('p-flagged').checked;
      const out = [];
      D.paths.forEach((p, i) => {
        if (flagged && !p.findings.length) return;
        if (q && (p.id + ' ' + nodeLabel(pathFrom(p)) + ' ' + nodeLabel(pathTo(p))).toLowerCase().indexOf(q) < 0) return;
        out.push(i);
      });
      return out;
    },
  });
  $('p-q').addEventListener('input', () => paths.refresh());
  $('p-flagged').addEventListener('change', () => paths.refresh());

  // ---- graph --------------------------------------------------------------------------------
  const CLUSTER = '(cluster-wide)';
  const nsOf = (i) => D.nodes[i].namespace || CLUSTER;
  const KIND_ORDER = ['zone', 'external', 'proxy', 'service', 'workload', 'service-account', 'role', 'credential'];
  const kindRank = (k) => { const r = KIND_ORDER.indexOf(k); return r < 0 ? KIND_ORDER.length : r; };
  function shapeOf(kind) {
    if (kind === 'workload') return 'rect';
    if (kind === 'credential') return 'diamond';
    if (kind === 'service') return 'hex';
    if (kind === 'zone' || kind === 'external') return 'tri';
    if (kind === 'proxy') return 'para';
    if (kind === 'service-account' || kind.indexOf('role') >= 0 || kind.indexOf('user') >= 0) return 'circle';
    return 'square';
  }
  const E = D.edges;
  const outE = new Array(D.nodes.length), inE = new Array(D.nodes.length);
  for (let i = 0; i < D.nodes.length; i++) { outE[i] = []; inE[i] = []; }
  const edgeEnds = new Int32Array(E.length * 2);
  E.forEach((e, k) => {
    const a = nodeIdx.get(e.from), b = nodeIdx.get(e.to);
    edgeEnds[2 * k] = a === undefined ? -1 : a;
    edgeEnds[2 * k + 1] = b === undefined ? -1 : b;
    if (a !== undefined) outE[a].push(k);
    if (b !== undefined) inE[b].push(k);
  });
  const isCall = (e) => e.auth !== undefined || e.kind === 'calls' || e.kind === 'forwards';
  const edgeClass = (e) => 'edge ' + (isCall(e) ? methodClass(e.auth, e.identity) : 'e-struct') + (e.flagged ? ' e-flag' : '');
  const byNs = new Map();
  D.nodes.forEach((n, i) => {
    const ns = nsOf(i);
    if (!byNs.has(ns)) byNs.set(ns, []);
    byNs.get(ns).push(i);
  });
  const nsNames = [...byNs.keys()].sort((a, b) => (a === CLUSTER) - (b === CLUSTER) || (a < b ? -1 : a > b ? 1 : 0));

  // Path membership, built on first use.
  let pathsIn = null, pathsOut = null;
  function pathIndex() {
    if (pathsIn) return;
    pathsIn = new Map(); pathsOut = new Map();
    D.paths.forEach((p, i) => {
      const a = pathFrom(p), b = pathTo(p);
      if (!pathsOut.has(a)) pathsOut.set(a, []);
      pathsOut.get(a).push(i);
      if (!pathsIn.has(b)) pathsIn.set(b, []);
      pathsIn.get(b).push(i);
    });
  }
  const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'Job', 'Pod', 'ReplicaSet', 'ReplicationController'];
  function subjectNode(s) {
    if (WORKLOAD_KINDS.indexOf(s.kind) >= 0) return 'workload:' + s.namespace + '/' + s.kind + '/' + s.name;
    if (s.kind === 'ServiceAccount') return 'sa:' + s.namespace + '/' + s.name;
    if (s.kind === 'Secret') return 'secret:' + s.namespace + '/' + s.name;
    return null;
  }
  let findingsOfNode = null;
  function nodeFindings(id) {
    if (!findingsOfNode) {
      findingsOfNode = new Map();
      const add = (nid, fi) => {
        if (!findingsOfNode.has(nid)) findingsOfNode.set(nid, new Set());
        findingsOfNode.get(nid).add(fi);
      };
      const byNsName = new Map();
      D.nodes.forEach((n) => { const k = (n.namespace || '') + '\u0000' + n.name; if (!byNsName.has(k)) byNsName.set(k, []); byNsName.get(k).push(n.id); });
      F.forEach((f, fi) => {
        const direct = subjectNode(f.subject);
        if (direct && nodeIdx.has(direct)) add(direct, fi);
        else (byNsName.get((f.subject.namespace || '') + '\u0000' + f.subject.name) || []).forEach((nid) => add(nid, fi));
        f.paths.forEach((pid) => { const pi = pathIdx.get(pid); if (pi !== undefined) add(pathTo(D.paths[pi]), fi); });
      });
    }
    return [...(findingsOfNode.get(id) || [])].sort((a, b) => a - b);
  }

  const svg = $('g-svg'), view = $('g-view');
  let vb = { x: 0, y: 0, w: 1000, h: 600 };
  let current = null; // { mode, nodes: [idx], title }
  let selected = -1;
  let highlighted = -1;
  const kindSel = $('g-kind'), nsSel = $('g-ns');
  (() => {
    const kinds = [...new Set(D.nodes.map((n) => n.kind))].sort();
    kinds.forEach((k) => { const o = el('option', '', k); o.value = k; kindSel.append(o); });
    nsNames.forEach((n) => { const o = el('option', '', n + ' (' + byNs.get(n).length + ')'); o.value = n; nsSel.append(o); });
  })();
  function svgEl(tag, attrs, cls) {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (cls) e.setAttribute('class', cls);
    return e;
  }
  function setViewBox() {
    svg.setAttribute('viewBox', [vb.x, vb.y, vb.w, vb.h].map((v) => v.toFixed(1)).join(' '));
  }
  function fit(box) {
    const r = svg.getBoundingClientRect();
    const aspect = r.height > 0 ? r.width / r.height : 1.6;
    let w = box.w + 40, h = box.h + 40;
    if (w / h < aspect) w = h * aspect; else h = w / aspect;
    vb = { x: box.x - (w - box.w) / 2, y: box.y - (h - box.h) / 2, w, h };
    setViewBox();
  }
  let extent = { x: 0, y: 0, w: 1000, h: 600 };

  const CELL_W = 170, CELL_H = 46, PAD = 16, HEAD = 26;
  // Deterministic layout: namespaces as boxes in name order, packed in rows; inside a box, nodes
  // on a grid by kind then name.
  function layout(nodes) {
    const groups = new Map();
    nodes.forEach((i) => { const ns = nsOf(i); if (!groups.has(ns)) groups.set(ns, []); groups.get(ns).push(i); });
    const names = nsNames.filter((n) => groups.has(n));
    const boxes = names.map((ns) => {
      const g = groups.get(ns).sort((a, b) => kindRank(D.nodes[a].kind) - kindRank(D.nodes[b].kind) || (D.nodes[a].id < D.nodes[b].id ? -1 : 1));
      const cols = Math.max(1, Math.ceil(Math.sqrt(g.length * 1.2)));
      const rows = Math.ceil(g.length / cols);
      return { ns, g, cols, w: cols * CELL_W + 2 * PAD, h: rows * CELL_H + HEAD + PAD };
    });
    const area = boxes.reduce((a, b) => a + b.w * b.h, 0);
    const maxW = Math.max(1400, Math.sqrt(area) * 1.5);
    const pos = new Map();
    let x = 0, y = 0, rowH = 0, width = 0;
    boxes.forEach((b) => {
      if (x > 0 && x + b.w > maxW) { x = 0; y += rowH + 30; rowH = 0; }
      b.x = x; b.y = y;
      b.g.forEach((i, k) => pos.set(i, { x: x + PAD + (k % b.cols) * CELL_W + 14, y: y + HEAD + Math.floor(k / b.cols) * CELL_H + 16 }));
      x += b.w + 30; rowH = Math.max(rowH, b.h); width = Math.max(width, x);
    });
    return { boxes, pos, w: width, h: y + rowH };
  }
  function shape(kind) {
    const s = shapeOf(kind);
    if (s === 'rect') return svgEl('rect', { x: -11, y: -8, width: 22, height: 16, rx: 3 });
    if (s === 'circle') return svgEl('circle', { r: 9 });
    if (s === 'diamond') return svgEl('polygon', { points: '0,-10 10,0 0,10 -10,0' });
    if (s === 'hex') return svgEl('polygon', { points: '-10,0 -5,-9 5,-9 10,0 5,9 -5,9' });
    if (s === 'tri') return svgEl('polygon', { points: '0,-10 10,8 -10,8' });
    if (s === 'para') return svgEl('polygon', { points: '-7,-8 11,-8 7,8 -11,8' });
    return svgEl('rect', { x: -8, y: -8, width: 16, height: 16 });
  }
  const short = (s, n) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

  function drawNodes(nodes, title, mode) {
    const kind = kindSel.value;
    if (kind) nodes = nodes.filter((i) => D.nodes[i].kind === kind || i === selected);
    let capped = false;
    if (nodes.length > NODE_CAP) { nodes = nodes.slice(0, NODE_CAP); capped = true; }
    current = { mode, nodes, title };
    const L = layout(nodes);
    clear(view);
    view.classList.remove('has-hl');
    const gBoxes = svgEl('g', {}, 'boxes'), gEdges = svgEl('g', {}, 'edges'), gNodes = svgEl('g', {}, 'nodes');
    view.append(gBoxes, gEdges, gNodes, svgEl('g', { id: 'g-hl' }));
    L.boxes.forEach((b) => {
      const g = svgEl('g', {}, 'nsbox');
      g.dataset.ns = b.ns;
      g.append(svgEl('rect', { x: b.x, y: b.y, width: b.w, height: b.h, rx: 8 }));
      const t = svgEl('text', { x: b.x + 10, y: b.y + 17 });
      t.textContent = vis(b.ns);
      g.append(t);
      gBoxes.append(g);
    });
    const inView = new Set(nodes);
    let edges = 0;
    for (const i of nodes) {
      for (const k of outE[i]) {
        const j = edgeEnds[2 * k + 1];
        if (!inView.has(j)) continue;
        if (edges >= EDGE_CAP) { capped = true; break; }
        const a = L.pos.get(i), b = L.pos.get(j);
        const line = svgEl('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y }, edgeClass(E[k]));
        line.dataset.from = E[k].from;
        line.dataset.to = E[k].to;
        line.dataset.kind = E[k].kind;
        gEdges.append(line);
        edges++;
      }
    }
    nodes.forEach((i) => {
      const n = D.nodes[i], p = L.pos.get(i);
      const g = svgEl('g', { transform: 'translate(' + p.x + ',' + p.y + ')' }, 'node k-' + shapeOf(n.kind) + (i === selected ? ' sel' : ''));
      g.dataset.id = n.id;
      g.dataset.kind = n.kind;
      const tt = svgEl('title');
      tt.textContent = vis(n.kind + ' ' + nodeLabel(n.id));
      const t = svgEl('text', { x: 15, y: 4 });
      t.textContent = vis(short(n.name, 20));
      g.append(shape(n.kind), t, tt);
      gNodes.append(g);
    });
    current.pos = L.pos;
    extent = { x: 0, y: 0, w: Math.max(L.w, 200), h: Math.max(L.h, 100) };
    fit(extent);
    status(title + ': ' + plural(nodes.length, 'node', 'nodes') + ', ' + plural(edges, 'edge', 'edges') + (capped ? ' (capped)' : ''));
    if (highlighted >= 0) drawHighlight(highlighted);
  }
  function status(t) {
    $('g-status').textContent = t;
    $('g-status').dataset.mode = current ? current.mode : '';
  }

  function overview() {
    if (D.nodes.length <= NODE_CAP) {
      nsSel.value = '';
      return drawNodes(D.nodes.map((_, i) => i), 'Whole graph', 'full');
    }
    current = { mode: 'overview', nodes: [], title: 'Overview' };
    clear(view);
    const cols = Math.ceil(Math.sqrt(nsNames.length * 1.6));
    const pos = new Map();
    nsNames.forEach((ns, k) => pos.set(ns, { x: (k % cols) * 200 + 80, y: Math.floor(k / cols) * 120 + 50 }));
    const links = new Map();
    E.forEach((e, k) => {
      const a = edgeEnds[2 * k], b = edgeEnds[2 * k + 1];
      if (a < 0 || b < 0 || !(e.flagged || isCall(e))) return;
      const na = nsOf(a), nb = nsOf(b);
      if (na === nb) return;
      const key = na + '\u0000' + nb;
      let l = links.get(key);
      if (!l) { l = { a: na, b: nb, n: 0, flagged: 0, cls: 'e-other', worst: 9 }; links.set(key, l); }
      l.n++;
      if (e.flagged) l.flagged++;
      const c = methodClass(e.auth, e.identity), rank = ['e-plain', 'e-secret', 'e-opt', 'e-other', 'e-mtls'].indexOf(c);
      if (rank < l.worst) { l.worst = rank; l.cls = c; }
    });
    let ls = [...links.values()].sort((x, y) => y.flagged - x.flagged || y.n - x.n);
    const capped = ls.length > EDGE_CAP;
    ls = ls.slice(0, EDGE_CAP);
    const gE = svgEl('g', {}, 'edges'), gN = svgEl('g', {}, 'nodes');
    view.append(gE, gN, svgEl('g', { id: 'g-hl' }));
    ls.forEach((l) => {
      const a = pos.get(l.a), b = pos.get(l.b);
      const line = svgEl('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y }, 'edge ' + l.cls + (l.flagged ? ' e-flag' : ''));
      line.dataset.from = l.a; line.dataset.to = l.b;
      const t = svgEl('title'); t.textContent = vis(l.a + ' → ' + l.b + ': ' + l.n + ' edges, ' + l.flagged + ' flagged');
      line.append(t);
      gE.append(line);
    });
    const flaggedNs = new Set();
    E.forEach((e, k) => { if (e.flagged && edgeEnds[2 * k + 1] >= 0) flaggedNs.add(nsOf(edgeEnds[2 * k + 1])); });
    nsNames.forEach((ns) => {
      const p = pos.get(ns);
      const g = svgEl('g', { transform: 'translate(' + p.x + ',' + p.y + ')' }, 'nsnode' + (flaggedNs.has(ns) ? ' flagged' : ''));
      g.dataset.ns = ns;
      g.append(svgEl('rect', { x: -70, y: -22, width: 140, height: 44, rx: 10 }));
      const t1 = svgEl('text', { x: 0, y: -3, 'text-anchor': 'middle' }); t1.textContent = vis(short(ns, 20));
      const t2 = svgEl('text', { x: 0, y: 14, 'text-anchor': 'middle' }, 'sub'); t2.textContent = plural(byNs.get(ns).length, 'node', 'nodes');
      g.append(t1, t2);
      gN.append(g);
    });
    extent = { x: 0, y: 0, w: cols * 200 + 20, h: Math.ceil(nsNames.length / cols) * 120 + 20 };
    fit(extent);
    status('Overview: ' + plural(nsNames.length, 'namespace', 'namespaces') + ', ' + plural(ls.length, 'link', 'links') + ' (calls and flagged edges between namespaces)' + (capped ? ' (capped)' : ''));
  }

  function neighbours(i) {
    const out = [];
    for (const k of outE[i]) if (edgeEnds[2 * k + 1] >= 0) out.push(edgeEnds[2 * k + 1]);
    for (const k of inE[i]) if (edgeEnds[2 * k] >= 0) out.push(edgeEnds[2 * k]);
    return out;
  }
  function openNamespace(ns) {
    const members = byNs.get(ns) || [];
    const set = new Set(members);
    members.forEach((i) => neighbours(i).forEach((j) => { if (set.size < NODE_CAP) set.add(j); }));
    nsSel.value = ns;
    drawNodes([...set], 'Namespace ' + ns + ' and its neighbours', 'namespace');
  }
  function neighbourhoodSet(seeds, limit) {
    const set = new Set(seeds);
    let frontier = seeds.slice();
    for (let depth = 0; depth < 2 && frontier.length; depth++) {
      const next = [];
      for (const i of frontier) for (const j of neighbours(i)) if (!set.has(j) && set.size < limit) { set.add(j); next.push(j); }
      if (set.size > 150) break;
      frontier = next;
    }
    return [...set];
  }
  function focusNode(i, scroll) {
    selected = i;
    highlighted = -1;
    drawNodes(neighbourhoodSet([i], 400), 'Neighbourhood of ' + nodeLabel(D.nodes[i].id), 'neighbourhood');
    panel(i);
    if (scroll) $('graph').scrollIntoView();
  }
  const inCurrent = (i) => current && current.pos && current.pos.has(i);
  function selectNode(i) {
    selected = i;
    document.querySelectorAll('#g-view .node.sel').forEach((n) => n.classList.remove('sel'));
    document.querySelectorAll('#g-view .node').forEach((n) => { if (n.dataset.id === D.nodes[i].id) n.classList.add('sel'); });
    panel(i);
  }

  function drawHighlight(pi) {
    const g = $('g-hl');
    if (!g || !current || !current.pos) return;
    clear(g);
    view.classList.add('has-hl');
    const p = D.paths[pi];
    const ids = new Set();
    p.hops.forEach((h) => {
      const a = nodeIdx.get(h.from), b = nodeIdx.get(h.to);
      ids.add(h.from); ids.add(h.to);
      if (a === undefined || b === undefined || !current.pos.has(a) || !current.pos.has(b)) return;
      const pa = current.pos.get(a), pb = current.pos.get(b);
      const line = svgEl('line', { x1: pa.x, y1: pa.y, x2: pb.x, y2: pb.y }, 'hop-line ' + methodClass(h.auth, h.identity));
      line.dataset.from = h.from; line.dataset.to = h.to;
      g.append(line);
    });
    document.querySelectorAll('#g-view .node').forEach((n) => n.classList.toggle('hl', ids.has(n.dataset.id)));
  }
  function showPath(pi, scroll) {
    const p = D.paths[pi];
    const hopNodes = [];
    p.hops.forEach((h) => [h.from, h.to].forEach((id) => { const i = nodeIdx.get(id); if (i !== undefined && hopNodes.indexOf(i) < 0) hopNodes.push(i); }));
    highlighted = pi;
    if (!hopNodes.every(inCurrent)) {
      const set = new Set(neighbourhoodSet(hopNodes, 300));
      hopNodes.forEach((i) => set.add(i));
      kindSel.value = '';
      drawNodes([...set], 'Path ' + nodeLabel(pathFrom(p)) + ' → ' + nodeLabel(pathTo(p)), 'path');
    } else {
      drawHighlight(pi);
    }
    pathPanel(pi);
    if (scroll) $('graph').scrollIntoView();
  }

  function section(title, n) {
    const s = el('div', 'psec');
    s.append(el('h4', '', title + ' (' + n + ')'));
    return s;
  }
  function pathButtons(host, list, cls) {
    const ul = el('ul', cls);
    list.slice(0, 50).forEach((pi) => {
      const p = D.paths[pi];
      const li = el('li');
      li.dataset.path = p.id;
      li.append(button('path-link', nodeLabel(pathFrom(p)) + ' → ' + nodeLabel(pathTo(p)), () => showPath(pi, false)),
        el('span', 'badge m ' + methodClass(p.auth, p.identity), (p.auth || 'unknown')));
      ul.append(li);
    });
    host.append(ul);
    if (list.length > 50) host.append(el('p', 'note', 'and ' + (list.length - 50) + ' more'));
  }
  function panel(i) {
    pathIndex();
    const n = D.nodes[i];
    const host = $('g-panel');
    clear(host);
    host.dataset.node = n.id;
    host.append(el('h3', '', nodeLabel(n.id)), el('p', 'kind', n.kind), el('p', 'pid', n.id));
    const attrs = n.attrs || {};
    const keys = Object.keys(attrs);
    if (keys.length) {
      const dl = el('dl', 'attrs');
      keys.forEach((k) => dl.append(el('dt', '', k), el('dd', '', attrs[k])));
      host.append(dl);
    }
    host.append(button('', 'Show neighbourhood', () => focusNode(i, false)));
    const pin = pathsIn.get(n.id) || [], pout = pathsOut.get(n.id) || [];
    const sIn = section('Inbound paths', pin.length); pathButtons(sIn, pin, 'paths-in'); host.append(sIn);
    const sOut = section('Outbound paths', pout.length); pathButtons(sOut, pout, 'paths-out'); host.append(sOut);
    const fs = nodeFindings(n.id);
    const sF = section('Findings', fs.length);
    const ul = el('ul', 'node-findings');
    fs.slice(0, 30).forEach((fi) => {
      const f = F[fi];
      const li = el('li');
      li.dataset.id = f.id;
      li.append(el('span', 'badge sev-' + f.severity, f.severity), el('b', '', f.rule + ' '), document.createTextNode(vis(f.message)));
      const pi = f.paths.length ? pathIdx.get(f.paths[0]) : undefined;
      if (pi !== undefined) li.append(button('path-link', 'highlight its path', () => showPath(pi, false)));
      ul.append(li);
    });
    sF.append(ul);
    host.append(sF);
    const bi = D.blast_radius.findIndex((b) => b.credential.id === n.id);
    if (bi >= 0) {
      const b = D.blast_radius[bi];
      const sB = section('Blast radius', b.score);
      sB.append(el('p', '', Object.keys(b.counts).map((k) => b.counts[k] + ' ' + k).join(', ') || 'reaches nothing further'));
      sB.append(button('', 'Open in the ranking', () => {
        $('b-q').value = ''; blast.refresh(); blast.show(bi);
        const d = document.querySelector('#b-list details[data-cred="' + CSS.escape(n.id) + '"]');
        if (d) { d.open = true; d.scrollIntoView(); }
      }));
      host.append(sB);
    }
  }
  function pathPanel(pi) {
    const p = D.paths[pi];
    const host = $('g-panel');
    clear(host);
    host.dataset.path = p.id;
    delete host.dataset.node;
    host.append(el('h3', '', nodeLabel(pathFrom(p)) + ' → ' + nodeLabel(pathTo(p))), el('p', 'pid', p.id));
    const ol = el('ol', 'hops-list');
    p.hops.forEach((h) => {
      const li = el('li');
      li.dataset.from = h.from; li.dataset.to = h.to;
      li.append(el('span', 'badge m ' + methodClass(h.auth, ''), h.auth), el('span', 'badge m ' + methodClass('', h.identity), h.identity),
        el('div', '', nodeLabel(h.from) + ' → ' + nodeLabel(h.to)), el('div', 'note', h.detail));
      ol.append(li);
    });
    host.append(ol);
    if (p.findings.length) {
      const sF = section('Findings on this path', p.findings.length);
      const ul = el('ul', 'node-findings');
      p.findings.forEach((fid) => {
        const fi = findingIdx.get(fid);
        if (fi === undefined) return;
        const li = el('li'); li.dataset.id = fid;
        li.append(el('span', 'badge sev-' + F[fi].severity, F[fi].severity), el('b', '', F[fi].rule + ' '), document.createTextNode(vis(F[fi].message)));
        ul.append(li);
      });
      sF.append(ul);
      host.append(sF);
    }
  }

  svg.addEventListener('click', (ev) => {
    if (dragged) return;
    const t = ev.target.closest ? ev.target.closest('.node, .nsnode, .nsbox') : null;
    if (!t) return;
    if (t.classList.contains('node')) {
      const i = nodeIdx.get(t.dataset.id);
      if (i !== undefined) selectNode(i);
    } else if (t.classList.contains('nsnode')) {
      openNamespace(t.dataset.ns);
    }
  });
  svg.addEventListener('dblclick', (ev) => {
    const t = ev.target.closest ? ev.target.closest('.node') : null;
    if (t && nodeIdx.has(t.dataset.id)) focusNode(nodeIdx.get(t.dataset.id), false);
  });
  let drag = null, dragged = false;
  svg.addEventListener('mousedown', (ev) => { drag = { x: ev.clientX, y: ev.clientY, vx: vb.x, vy: vb.y }; dragged = false; });
  window.addEventListener('mousemove', (ev) => {
    if (!drag) return;
    const r = svg.getBoundingClientRect();
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) dragged = true;
    vb.x = drag.vx - dx * (vb.w / r.width);
    vb.y = drag.vy - dy * (vb.h / r.height);
    setViewBox();
  });
  window.addEventListener('mouseup', () => { drag = null; });
  function zoom(f, cx, cy) {
    const x = cx === undefined ? vb.x + vb.w / 2 : cx, y = cy === undefined ? vb.y + vb.h / 2 : cy;
    vb = { x: x - (x - vb.x) * f, y: y - (y - vb.y) * f, w: vb.w * f, h: vb.h * f };
    setViewBox();
  }
  svg.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    const r = svg.getBoundingClientRect();
    zoom(ev.deltaY > 0 ? 1.15 : 1 / 1.15, vb.x + ((ev.clientX - r.left) / r.width) * vb.w, vb.y + ((ev.clientY - r.top) / r.height) * vb.h);
  }, { passive: false });
  $('g-zin').addEventListener('click', () => zoom(1 / 1.3));
  $('g-zout').addEventListener('click', () => zoom(1.3));
  $('g-fit').addEventListener('click', () => fit(extent));
  $('g-overview').addEventListener('click', () => { selected = -1; highlighted = -1; kindSel.value = ''; nsSel.value = ''; overview(); });
  nsSel.addEventListener('change', () => { highlighted = -1; if (nsSel.value) openNamespace(nsSel.value); else overview(); });
  kindSel.addEventListener('change', () => {
    if (!current) return;
    if (current.mode === 'overview') return;
    if (current.mode === 'namespace') openNamespace(nsSel.value);
    else if (current.mode === 'full') drawNodes(D.nodes.map((_, i) => i), 'Whole graph', 'full');
    else if (selected >= 0) focusNode(selected, false);
  });
  const q = $('g-q'), names = $('g-names');
  function findNodes(text, limit) {
    const t = text.trim().toLowerCase();
    const out = [];
    if (!t) return out;
    for (let i = 0; i < D.nodes.length && out.length < limit; i++) {
      if (nodeLabel(D.nodes[i].id).toLowerCase().indexOf(t) >= 0 || D.nodes[i].id.toLowerCase() === t) out.push(i);
    }
    return out;
  }
  q.addEventListener('input', () => {
    clear(names);
    findNodes(q.value, 20).forEach((i) => { const o = document.createElement('option'); o.value = vis(nodeLabel(D.nodes[i].id)); names.append(o); });
  });
  q.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter') return;
    const t = q.value.trim().toLowerCase();
    const exact = D.nodes.findIndex((n) => vis(nodeLabel(n.id)).toLowerCase() === t);
    const i = exact >= 0 ? exact : findNodes(q.value, 1)[0];
    if (i !== undefined) focusNode(i, false);
    else status('No node matches');
  });

  // ---- print ---------------------------------------------------------------------------------
  function setPrinting(on) {
    if (printing === on) return;
    printing = on;
    renderFindings();
  }
  window.addEventListener('beforeprint', () => setPrinting(true));
  window.addEventListener('afterprint', () => setPrinting(false));
  const pm = window.matchMedia('print');
  pm.addEventListener('change', () => setPrinting(pm.matches));

  renderFindings();
  blast.refresh();
  paths.refresh();
  overview();
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  document.body.dataset.scriptMs = String(Math.round(performance.now() - T0));
  document.body.dataset.ready = '1';
})();
