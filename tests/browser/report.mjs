// Drives the HTML report in Debian's Chromium with playwright-core (tests/html_browser.rs runs it).
//
//   node tests/browser/report.mjs demo    PAGE.html REPORT.json OUT_DIR   what a reader checks, screenshots, PDF
//   node tests/browser/report.mjs hostile PAGE.html REPORT.json OUT_DIR   hostile names: nothing runs, nothing injected
//   node tests/browser/report.mjs gate    PAGE.html REPORT.json OUT_DIR   baseline (new/existing) and suppression filters
//   node tests/browser/report.mjs bench   PAGE.html REPORT.json OUT_DIR   time to interactive (scripts/bench-html.sh)
//
// ZTPATH_PLAYWRIGHT_DIR is where scripts/test.sh installed playwright-core; ZTPATH_CHROMIUM the
// browser (default /usr/bin/chromium). Prints one JSON line of results; exits 1 on the first
// failed check, with the reason on stderr.
import { readFileSync, mkdirSync, rmSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';

const [mode, pagePath, jsonPath, outDir] = process.argv.slice(2);
const pwDir = process.env.ZTPATH_PLAYWRIGHT_DIR;
if (!mode || !pagePath || !jsonPath || !outDir || !pwDir) {
  console.error('usage: ZTPATH_PLAYWRIGHT_DIR=DIR node report.mjs demo|hostile|bench PAGE.html REPORT.json OUT_DIR');
  process.exit(2);
}
const { chromium } = await import(pathToFileURL(join(pwDir, 'node_modules', 'playwright-core', 'index.mjs')).href);
const report = JSON.parse(readFileSync(jsonPath, 'utf8'));
mkdirSync(outDir, { recursive: true });

function check(ok, what) {
  if (!ok) throw new Error('check failed: ' + what);
}
function eq(got, want, what) {
  check(JSON.stringify(got) === JSON.stringify(want), what + ': got ' + JSON.stringify(got) + ', want ' + JSON.stringify(want));
}

const profile = mkdtempSync(join(tmpdir(), 'ztpath-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.ZTPATH_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  viewport: { width: 1400, height: 1000 },
});
const problems = [];
const requests = [];
let page;
const results = { mode };
try {
  await browser.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
    requests.push(url);
    return route.abort();
  });
  page = browser.pages()[0] || (await browser.newPage());
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push('console ' + m.type() + ': ' + m.text()); });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('dialog', async (d) => { problems.push('dialog: ' + d.type() + ' ' + d.message()); await d.dismiss(); });
  page.on('request', (r) => { const u = r.url(); if (!u.startsWith('file:') && !u.startsWith('data:')) requests.push(u); });

  const t0 = Date.now();
  await page.goto(pathToFileURL(pagePath).href, { waitUntil: 'load', timeout: 60000 });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  results.wallMs = Date.now() - t0;
  results.readyMs = Number(await page.getAttribute('body', 'data-ready-ms'));
  results.scriptMs = Number(await page.getAttribute('body', 'data-script-ms'));

  if (mode !== 'bench') {
    // The page works on exactly the JSON report's data: the island, restored, is that report.
    const same = await page.evaluate((want) => {
      const canon = (v) => {
        if (Array.isArray(v)) return v.map(canon);
        if (v === null || typeof v !== 'object') return v;
        return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])]));
      };
      const got = JSON.stringify(canon(window.ztpathReport));
      const exp = JSON.stringify(canon(want));
      if (got === exp) return '';
      let i = 0;
      while (i < got.length && got[i] === exp[i]) i++;
      return 'differs at ' + i + ': page ' + got.slice(Math.max(0, i - 80), i + 80) + ' / json ' + exp.slice(Math.max(0, i - 80), i + 80);
    }, report);
    eq(same, '', 'the restored island equals the JSON report');
  }
  if (mode === 'demo') await demo(page);
  else if (mode === 'hostile') await hostile(page);
  else if (mode === 'gate') await gate(page);
  else if (mode === 'bench') await bench(page);
  else throw new Error('unknown mode ' + mode);

  eq(problems, [], 'console errors, page errors and dialogs');
  eq(requests, [], 'requests that leave the page');
  console.log(JSON.stringify(results));
} catch (e) {
  if (page) await page.screenshot({ path: join(outDir, mode + '-failure.png') }).catch(() => {});
  console.error(String(e && e.stack ? e.stack : e));
  if (problems.length) console.error('problems: ' + JSON.stringify(problems));
  process.exitCode = 1;
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}

// ---- what a reader checks on the demo -------------------------------------------------------
function ruleOf(id) {
  return report.rules.find((r) => r.id === id);
}
async function expandAllFindings(page) {
  // Open every group and press every "show more" until nothing is left to show.
  for (;;) {
    const clicked = await page.evaluate(() => {
      let n = 0;
      document.querySelectorAll('#f-groups details.rule-group').forEach((d) => { if (!d.open) { d.open = true; n++; } });
      document.querySelectorAll('#f-groups .more-btn').forEach((b) => { if (!b.hidden) { b.click(); n++; } });
      return n;
    });
    if (!clicked) break;
    await page.waitForTimeout(20);
  }
}
async function shownFindings(page) {
  return page.$$eval('#f-groups li.finding', (lis) => lis.map((li) => ({ id: li.dataset.id, sev: li.dataset.sev })));
}

async function demo(page) {
  const sm = report.summary;
  // Summary cards and scope: the JSON's counts.
  const total = Object.values(sm.findings).reduce((a, b) => a + b, 0);
  eq(await page.textContent('.card[data-sev="total"] .n'), String(total), 'total findings card');
  for (const sev of ['critical', 'high', 'medium', 'low', 'info']) {
    eq(await page.textContent(`.card[data-sev="${sev}"] .n`), String(sm.findings[sev]), sev + ' card');
  }
  const scope = await page.$$eval('#scope dl.scope > div', (ds) => Object.fromEntries(ds.map((d) => [d.querySelector('dt').textContent, d.querySelector('dd').textContent])));
  for (const [label, key] of [['Files read', 'files'], ['Objects', 'objects'], ['Workloads', 'workloads'], ['Identities', 'identities'], ['Credentials', 'credentials'], ['Auth paths', 'paths'], ['Diagnostics', 'diagnostics']]) {
    eq(scope[label], String(sm[key]), 'scope ' + label);
  }
  eq(scope['Reference date'], '2026-11-25', 'reference date');
  eq(await page.getAttribute('#f-count', 'data-count'), String(report.findings.length), 'findings shown at first');
  await expandAllFindings(page);
  eq((await shownFindings(page)).map((f) => f.id).sort(), report.findings.map((f) => f.id).sort(), 'every finding listed once');

  // The severity filter leaves exactly that severity's findings.
  for (const sev of ['critical', 'high', 'medium', 'low', 'info']) {
    await page.selectOption('#f-sev', sev);
    const want = report.findings.filter((f) => f.severity === sev).map((f) => f.id).sort();
    eq(await page.getAttribute('#f-count', 'data-count'), String(want.length), sev + ' filter count');
    await expandAllFindings(page);
    const shown = await shownFindings(page);
    eq(shown.map((f) => f.id).sort(), want, sev + ' filter: the findings shown');
    check(shown.every((f) => f.sev === sev), sev + ' filter shows only ' + sev);
  }
  await page.selectOption('#f-sev', '');
  // The rule, NHI and tenet filters, and the free-text search.
  const rule = report.findings[0].rule;
  await page.selectOption('#f-rule', rule);
  eq(await page.getAttribute('#f-count', 'data-count'), String(report.findings.filter((f) => f.rule === rule).length), 'rule filter');
  await page.selectOption('#f-rule', '');
  await page.selectOption('#f-nhi', 'NHI7:2025');
  eq(await page.getAttribute('#f-count', 'data-count'), String(report.findings.filter((f) => (ruleOf(f.rule) || { owasp_nhi: [] }).owasp_nhi.includes('NHI7:2025')).length), 'NHI filter');
  await page.selectOption('#f-nhi', '');
  await page.selectOption('#f-tenet', 'T2');
  eq(await page.getAttribute('#f-count', 'data-count'), String(report.findings.filter((f) => (ruleOf(f.rule) || { nist_800_207: [] }).nist_800_207.includes('T2')).length), 'tenet filter');
  await page.selectOption('#f-tenet', '');
  const target = report.findings[report.findings.length - 1];
  await page.fill('#f-q', target.id);
  await page.waitForFunction((n) => document.getElementById('f-count').dataset.count === n, '1');
  eq(await shownFindings(page), [{ id: target.id, sev: target.severity }], 'search by finding id');
  await page.fill('#f-q', '');
  await page.click('#f-reset');

  // Matrix cells: the JSON's findings (not suppressed) per category of their rule.
  const rows = await page.$$eval('table.matrix tr[data-row]', (trs) => trs.map((tr) => [tr.dataset.row, [...tr.querySelectorAll('td[data-sev]')].map((td) => Number(td.textContent))]));
  eq(rows.length, 17, 'matrix rows');
  for (const [cat, cells] of rows) {
    const want = ['critical', 'high', 'medium', 'low', 'info'].map((sev) => report.findings.filter((f) => {
      const r = ruleOf(f.rule);
      return !f.suppressed && f.severity === sev && r && (r.owasp_nhi.includes(cat) || r.nist_800_207.includes(cat));
    }).length);
    eq(cells, want, 'matrix row ' + cat);
  }
  results.matrixRows = rows.length;

  await page.locator('#summary').screenshot({ path: join(outDir, 'summary.png') });
  await page.locator('#matrix').screenshot({ path: join(outDir, 'matrix.png') });

  // Clicking a finding's path highlights its hops in the graph.
  const withPath = report.findings.find((f) => f.paths.length && report.paths.some((p) => p.id === f.paths[0] && p.hops.length > 1)) || report.findings.find((f) => f.paths.length);
  check(withPath, 'the demo has a finding on a path');
  const path = report.paths.find((p) => p.id === withPath.paths[0]);
  await page.fill('#f-q', withPath.id);
  await page.waitForFunction(() => document.getElementById('f-count').dataset.count === '1');
  await page.click('#f-groups li.finding .path-link');
  await page.waitForFunction((id) => document.getElementById('g-panel').dataset.path === id, path.id);
  const hops = await page.$$eval('#g-hl .hop-line', (ls) => ls.map((l) => [l.dataset.from, l.dataset.to]));
  eq(hops, path.hops.map((h) => [h.from, h.to]), 'highlighted hops of ' + path.id);
  const lit = await page.$$eval('#g-view .node.hl', (ns) => ns.map((n) => n.dataset.id).sort());
  eq(lit, [...new Set(path.hops.flatMap((h) => [h.from, h.to]))].sort(), 'highlighted nodes');
  eq(await page.$$eval('#g-panel .hops-list li', (ls) => ls.length), path.hops.length, 'hops listed in the panel');
  await page.locator('#graph').screenshot({ path: join(outDir, 'graph-path.png') });
  await page.fill('#f-q', '');
  await page.click('#f-reset');

  // Clicking a node shows its paths.
  const to = path.hops[path.hops.length - 1].to;
  await page.click('#g-overview');
  const handle = await page.evaluateHandle((id) => [...document.querySelectorAll('#g-view .node')].find((n) => n.dataset.id === id), to);
  check(await handle.evaluate((n) => !!n), 'node ' + to + ' drawn in the overview');
  await handle.click();
  await page.waitForFunction((id) => document.getElementById('g-panel').dataset.node === id, to);
  const inbound = report.paths.filter((p) => p.hops[p.hops.length - 1].to === to).map((p) => p.id).sort();
  const outbound = report.paths.filter((p) => p.hops[0].from === to).map((p) => p.id).sort();
  eq((await page.$$eval('#g-panel .paths-in li', (ls) => ls.map((l) => l.dataset.path))).sort(), inbound.slice(0, 50), 'inbound paths of ' + to);
  eq((await page.$$eval('#g-panel .paths-out li', (ls) => ls.map((l) => l.dataset.path))).sort(), outbound.slice(0, 50), 'outbound paths of ' + to);
  check(await page.$eval('#g-view .node.sel', (n) => n.dataset.id) === to, 'the clicked node is selected');
  results.inbound = inbound.length;
  await page.locator('#graph').screenshot({ path: join(outDir, 'graph-node.png') });

  // Search by name opens the node's neighbourhood; the namespace filter opens a namespace.
  const sa = report.nodes.find((n) => n.kind === 'service-account' && n.namespace);
  await page.fill('#g-q', sa.namespace + '/' + sa.name);
  await page.press('#g-q', 'Enter');
  await page.waitForFunction((id) => document.getElementById('g-panel').dataset.node === id, sa.id);
  eq(await page.getAttribute('#g-status', 'data-mode'), 'neighbourhood', 'search opens a neighbourhood');
  await page.selectOption('#g-ns', sa.namespace);
  const drawn = await page.$$eval('#g-view .node', (ns) => ns.map((n) => n.dataset.id));
  check(report.nodes.filter((n) => n.namespace === sa.namespace).every((n) => drawn.includes(n.id)), 'namespace view draws the namespace');
  await page.selectOption('#g-kind', 'workload');
  // Only workloads are left, and the selected node (kept so that the selection stays in view).
  const kinds = await page.$$eval('#g-view .node:not(.sel)', (ns) => [...new Set(ns.map((n) => n.dataset.kind))]);
  eq(kinds, ['workload'], 'kind filter');
  await page.selectOption('#g-kind', '');
  // Zoom changes the view box; Fit brings it back.
  const vb0 = await page.getAttribute('#g-svg', 'viewBox');
  await page.click('#g-zin');
  check((await page.getAttribute('#g-svg', 'viewBox')) !== vb0, 'zoom in changes the view');
  await page.click('#g-fit');
  eq(await page.getAttribute('#g-svg', 'viewBox'), vb0, 'fit restores the view');

  // Blast radius and path explorer list the JSON's entries.
  eq(await page.getAttribute('#b-count', 'data-count'), String(report.blast_radius.length), 'blast radius entries');
  eq(await page.getAttribute('#p-count', 'data-count'), String(report.paths.length), 'paths');
  // A <details> is filled by its `toggle` handler, which runs as a task after the click: wait
  // for its content before counting it.
  await page.click('#b-list details.blast-item summary');
  await page.waitForSelector('#b-list details.blast-item[open] ul.reaches', { state: 'attached' });
  const first = report.blast_radius[0];
  eq(await page.$$eval('#b-list details.blast-item[open] ul.reaches > li', (ls) => ls.length), first.reaches.length, 'reaches of the widest credential');
  await page.click('#p-list details.path-item summary');
  await page.waitForSelector('#p-list details.path-item[open] table.hops', { state: 'attached' });
  eq(await page.$$eval('#p-list details.path-item[open] table.hops tr', (t) => t.length - 1), report.paths[0].hops.length, 'hops of the first path');

  // Print: the summary, the matrix and the findings, without the interactive parts.
  await page.emulateMedia({ media: 'print' });
  await page.waitForTimeout(100);
  check(await page.$eval('#graph', (g) => getComputedStyle(g).display === 'none'), 'graph hidden in print');
  check(await page.$eval('#f-filters', (g) => getComputedStyle(g).display === 'none'), 'filters hidden in print');
  eq(await page.$$eval('#f-groups li.finding', (l) => l.length), report.findings.length, 'every finding in print');
  await page.pdf({ path: join(outDir, 'report.pdf'), format: 'A4', printBackground: true });
  await page.emulateMedia({ media: 'screen' });
}

// ---- hostile names ---------------------------------------------------------------------------
async function sweep(page) {
  return page.evaluate(() => {
    const bad = [];
    document.querySelectorAll('*').forEach((e) => {
      for (const a of e.attributes) {
        if (/^on/i.test(a.name)) bad.push(e.tagName + ' ' + a.name);
        if ((a.name === 'href' || a.name === 'src' || a.name === 'action' || a.name === 'xlink:href') && !/^#[a-z]+$/.test(a.value)) bad.push(e.tagName + ' ' + a.name + '=' + a.value);
      }
    });
    const scripts = document.querySelectorAll('script').length;
    const foreign = document.querySelectorAll('img, iframe, object, embed, form, base, link, meta[http-equiv="refresh"], video, audio').length;
    return { bad, scripts, foreign, pwned: window.__pwned === undefined ? null : window.__pwned };
  });
}
async function hostile(page) {
  const check0 = await sweep(page);
  eq(check0, { bad: [], scripts: 2, foreign: 0, pwned: null }, 'after load');
  // Open everything the script renders on demand.
  await expandAllFindings(page);
  await page.$$eval('#b-list details, #p-list details', (ds) => ds.forEach((d) => { d.open = true; }));
  // Their `toggle` handlers fill them as tasks after the change: wait until each one has.
  await page.waitForFunction(() => [...document.querySelectorAll('#b-list details, #p-list details')].every((d) => d.dataset.rendered === '1'));
  for (const n of report.nodes) {
    const h = await page.evaluateHandle((id) => [...document.querySelectorAll('#g-view .node')].find((x) => x.dataset.id === id), n.id);
    if (await h.evaluate((x) => !!x)) await h.click();
  }
  for (const b of await page.$$('#f-groups .path-link')) await b.click();
  await page.fill('#g-q', report.nodes[1].name);
  await page.press('#g-q', 'Enter');
  await page.fill('#f-q', '<script>');
  await page.waitForTimeout(300);
  eq(await sweep(page), { bad: [], scripts: 2, foreign: 0, pwned: null }, 'after every view was opened');
  // The names are on the page as text, bidirectional controls shown as escapes.
  const text = await page.evaluate(() => document.body.innerText);
  check(text.includes('<script>window.__pwned=1</script>'), 'the hostile namespace is shown as text');
  check(text.includes('"><img src=x onerror="window.__pwned=2">'), 'the hostile account is shown as text');
  check(text.includes('cred\\u{202e}txt.exe\\u{200f}'), 'bidirectional controls shown escaped');
  check(!text.includes('\u202e'), 'no raw right-to-left override on the page');
  await page.screenshot({ path: join(outDir, 'hostile.png') });
  results.hostileNodes = report.nodes.length;
}

// ---- time to interactive on a large estate ---------------------------------------------------
async function bench(page) {
  // Interactive: the findings filter answers and the overview graph is drawn.
  results.overviewNodes = await page.$$eval('#g-view .nsnode, #g-view .node', (n) => n.length);
  results.graphMode = await page.getAttribute('#g-status', 'data-mode');
  let t = Date.now();
  await page.selectOption('#f-sev', 'high');
  results.filterMs = Date.now() - t;
  results.highShown = Number(await page.getAttribute('#f-count', 'data-count'));
  results.findingRows = await page.$$eval('#f-groups li.finding', (l) => l.length);
  t = Date.now();
  const ns = await page.$eval('#g-view .nsnode', (n) => n.dataset.ns).catch(() => null);
  if (ns) {
    await page.click('#g-view .nsnode');
    results.namespaceMs = Date.now() - t;
    results.namespaceNodes = await page.$$eval('#g-view .node', (n) => n.length);
  }
  results.domElements = await page.evaluate(() => document.getElementsByTagName('*').length);
  await page.locator('#graph').screenshot({ path: join(outDir, 'bench-graph.png') });
}

// ---- the CI gate's states: baseline and suppression filters -----------------------------------
async function gate(page) {
  const F = report.findings;
  eq(await page.getAttribute('#f-count', 'data-count'), String(F.length), 'every finding shown at first');
  const cases = [
    ['#f-base', 'new', (f) => f.baseline === 'new'],
    ['#f-base', 'existing', (f) => f.baseline === 'existing'],
    ['#f-supp', 'yes', (f) => !!f.suppressed],
    ['#f-supp', 'no', (f) => !f.suppressed],
  ];
  for (const [select, value, keep] of cases) {
    await page.selectOption(select, value);
    const want = F.filter(keep).map((f) => f.id).sort();
    check(want.length > 0 && want.length < F.length, select + '=' + value + ' splits the findings');
    eq(await page.getAttribute('#f-count', 'data-count'), String(want.length), select + '=' + value + ' count');
    await expandAllFindings(page);
    eq((await shownFindings(page)).map((f) => f.id).sort(), want, select + '=' + value + ': the findings shown');
    await page.selectOption(select, '');
  }
  // Both at once: the new findings that are not suppressed.
  await page.selectOption('#f-base', 'new');
  await page.selectOption('#f-supp', 'no');
  const both = F.filter((f) => f.baseline === 'new' && !f.suppressed).length;
  eq(await page.getAttribute('#f-count', 'data-count'), String(both), 'new and active');
  await page.click('#f-reset');
  eq(await page.getAttribute('#f-count', 'data-count'), String(F.length), 'reset shows every finding');
  // A suppressed finding says so, with its reason; a new one is marked new.
  await page.selectOption('#f-supp', 'yes');
  await expandAllFindings(page);
  const badges = await page.$$eval('#f-groups li.finding .badge.supp', (bs) => bs.map((b) => b.textContent));
  eq(badges.length, F.filter((f) => f.suppressed).length, 'one suppression badge per suppressed finding');
  check(badges.every((b) => b === 'suppressed: accepted for the test'), 'the badge gives the reason: ' + JSON.stringify(badges.slice(0, 3)));
  await page.click('#f-reset');
  await page.selectOption('#f-base', 'new');
  await expandAllFindings(page);
  eq(await page.$$eval('#f-groups li.finding .badge.base-new', (bs) => bs.length), F.filter((f) => f.baseline === 'new').length, 'new badges');
  await page.locator('#findings').screenshot({ path: join(outDir, 'gate-new.png') });
  results.suppressed = F.filter((f) => f.suppressed).length;
  results.new = F.filter((f) => f.baseline === 'new').length;
}
