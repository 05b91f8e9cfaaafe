// `npm run bench [-- [--smoke] [--out FILE] NAME...]`: runs the benchmarks (bench/list.js), prints their figures and
// writes each one's section, and the summary table of their targets, to docs/performance.md.
//   --smoke      tiny sizes and few rounds (each bench gets `{ smoke: true }`): proves the benches still work, in CI
//                (test/interop/bench-smoke.test.ts); its figures mean nothing.
//   --out FILE   write to FILE instead of docs/performance.md (as BENCH_OUT=FILE does): trial and smoke runs.
// Each benchmark stops what it starts; cleanupAll() catches what a failure or Ctrl-C leaves behind.
// A bench returns its markdown, or `{ md, targets }` with targets `{ target, measured, met: 'yes'|'no'|'measured' }`:
// the summary keeps one row per target with the date of the run that measured it; a run of some benches replaces
// only their rows. A bench that fails gets `failed` in its rows and section (never the last run's figures), and the
// run exits 1.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cleanupAll, peers, ROOT, writeSection } from './lib.js';
import { BENCHES } from './list.js';

export { BENCHES };

/** argv → { smoke, out, names }; throws a one-line error on a bad argument. */
export function parseArgs(argv) {
  const opts = { smoke: false, out: undefined, names: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--smoke') opts.smoke = true;
    else if (a === '--out') {
      opts.out = argv[++i];
      if (!opts.out) throw new Error('bench: --out needs a file (e.g. --out /tmp/perf.md)');
    } else if (a.startsWith('--out=')) opts.out = a.slice('--out='.length);
    else if (a.startsWith('-')) throw new Error(`bench: unknown option '${a}' (have: --smoke, --out FILE)`);
    else if (!BENCHES.includes(a)) throw new Error(`bench: unknown benchmark '${a}' (have: ${BENCHES.join(', ')})`);
    else opts.names.push(a);
  }
  if (!opts.names.length) opts.names = [...BENCHES];
  return opts;
}

// ------------------------------------------------------------------------------------------ the summary table

const SUMMARY = 'summary';
const HEADER = '| target | measured | met? | bench | run date |';

/** A table cell: one line, pipes escaped. */
const cell = (text) => String(text).replace(/\s*\n\s*/g, ' ').replace(/\\?\|/g, '\\|').trim();

/** Splits a markdown table row into its cells (an escaped `\|` stays in its cell). */
function splitRow(line) {
  const cells = [];
  let cur = '';
  const body = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && body[i + 1] === '|') {
      cur += '\\|';
      i++;
    } else if (body[i] === '|') {
      cells.push(cur.trim());
      cur = '';
    } else cur += body[i];
  }
  cells.push(cur.trim());
  return cells;
}

/** The summary block of `text`: its rows ({ target, measured, met, bench, date }, cells as written) and run lines. */
export function parseSummary(text) {
  const begin = `<!-- bench:${SUMMARY} -->`;
  const end = `<!-- /bench:${SUMMARY} -->`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) return { rows: [], runs: [] };
  const rows = [];
  const runs = [];
  let inTable = false;
  for (const line of text.slice(i + begin.length, j).split('\n')) {
    if (line.trim() === HEADER) inTable = true;
    else if (inTable && line.startsWith('|') && !line.startsWith('|---')) {
      const [target, measured, met, bench, date] = splitRow(line);
      if (bench) rows.push({ target, measured, met, bench, date });
    } else if (/^- run /.test(line)) runs.push(line);
  }
  return { rows, runs };
}

/** The summary block's markdown from its rows (ordered as bench/list.js, then as each bench gave them) and run lines. */
export function renderSummary(rows, runs) {
  const order = (b) => (BENCHES.includes(b) ? BENCHES.indexOf(b) : BENCHES.length);
  const sorted = rows.map((r, k) => ({ r, k })).sort((a, b) => order(a.r.bench) - order(b.r.bench) || a.k - b.k).map((x) => x.r);
  const dates = new Set(sorted.map((r) => r.date));
  return [
    '## Summary',
    '',
    "Issue 13's targets against the figures of the run that last measured them, written by `npm run bench` from the `targets` each bench reports " +
      '(a run of some benches replaces only their rows, so each row carries its own run date; a bench\'s section below has the full figures and how they were taken). ' +
      '"met?" is computed by the bench from that run\'s figures: yes, no, measured (a figure kept for reference, no target), or failed (the bench failed in that run, so it has no figure). ' +
      'Every comparison is a ratio from one run in which the clients or nodes compared were interleaved round by round, on a machine that other work shares.',
    '',
    'Peers in each run that has rows here:',
    '',
    ...runs.filter((line) => [...dates].some((d) => line.startsWith(`- run ${d}`))),
    '',
    HEADER,
    '|---|---|---|---|---|',
    ...sorted.map((r) => `| ${r.target} | ${r.measured} | ${r.met} | ${r.bench} | ${r.date} |`),
  ].join('\n');
}

function outFile() {
  return process.env.BENCH_OUT || join(ROOT, 'docs', 'performance.md');
}

/**
 * Writes the summary block; where the file has none yet, it goes under the intro: before the first `## ` heading or
 * bench section, whichever comes first (never inside a section).
 */
function writeSummary(rows, runs) {
  const file = outFile();
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    const at = text.search(/^(## |<!-- bench:)/m);
    if (!text.includes(`<!-- bench:${SUMMARY} -->`) && at >= 0) {
      writeFileSync(file, `${text.slice(0, at)}<!-- bench:${SUMMARY} -->\n<!-- /bench:${SUMMARY} -->\n\n${text.slice(at)}`);
    }
  }
  writeSection(SUMMARY, renderSummary(rows, runs));
}

/** Replaces the rows of `bench` in the summary with `rows` and records this run's peer line. */
function updateSummary(bench, rows, runLine, date) {
  const file = outFile();
  const old = parseSummary(existsSync(file) ? readFileSync(file, 'utf8') : '');
  const kept = old.rows.filter((r) => r.bench !== bench);
  const fresh = rows.map((r) => ({ target: cell(r.target), measured: cell(r.measured), met: cell(r.met), bench, date }));
  const runs = [runLine, ...old.runs.filter((l) => !l.startsWith(`- run ${date}`))];
  writeSummary([...kept, ...fresh], runs);
}

/** What a bench returned → { md, targets }; a bench without targets gets one row saying so. */
function normalise(name, out) {
  const md = typeof out === 'string' ? out : out?.md;
  if (typeof md !== 'string' || !md.trim()) throw new Error(`bench ${name} returned no markdown (want a string or { md, targets })`);
  const given = typeof out === 'object' && Array.isArray(out.targets) ? out.targets : [];
  for (const t of given) {
    if (!t || typeof t.target !== 'string' || typeof t.measured !== 'string' || !['yes', 'no', 'measured'].includes(t.met)) {
      throw new Error(`bench ${name}: bad target row ${JSON.stringify(t)} (want { target, measured, met: 'yes' | 'no' | 'measured' })`);
    }
  }
  const targets = given.length ? given : [{ target: `${name}: no target rows reported by this bench`, measured: 'figures in its section', met: 'measured' }];
  return { md, targets };
}

// ------------------------------------------------------------------------------------------ peers

/** One line per peer for the terminal and the summary, and the comparisons a missing one leaves out. */
function peerReport(mods) {
  const p = peers();
  const parts = [];
  const missing = [];
  for (const name of ['receptor', 'receptorctl', 'socat']) {
    if (p[name]) {
      parts.push(`${name} ${p[name].version} (${p[name].path})`);
      continue;
    }
    const users = mods.filter((m) => (m.uses ?? []).includes(name)).map((m) => m.name);
    // A bench that does not export `uses` may still compare against it.
    const unsure = mods.filter((m) => !m.uses && !m.loadError).map((m) => m.name);
    const lost =
      (users.length ? `no ${name} comparisons in ${users.join(', ')}` : `no bench of this run that declares its peers compares against ${name}`) +
      (unsure.length ? `; ${unsure.join(', ')} declare${unsure.length === 1 ? 's' : ''} no peers and may lack ${name} rows` : '');
    parts.push(`${name} **not installed** (${lost})`);
    missing.push(`${name} is not installed: ${lost}. Install the peers with \`.ci/install-peers\` (or \`source /root/.cache/meshctl-peers/env.sh\`).`);
  }
  return { line: parts.join(', '), missing };
}

// ------------------------------------------------------------------------------------------ the run

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(err.message);
    process.exit(2);
  }
  if (opts.out) process.env.BENCH_OUT = resolve(opts.out);
  const onSignal = async () => {
    await cleanupAll();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const date = `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const mods = [];
  for (const name of opts.names) {
    try {
      const mod = await import(pathToFileURL(join(ROOT, 'bench', `${name}.js`)).href);
      mods.push({ name, mod, uses: Array.isArray(mod.uses) ? mod.uses : undefined });
    } catch (err) {
      mods.push({ name, loadError: err });
    }
  }
  const peer = peerReport(mods);
  console.error(`bench: ${opts.smoke ? 'smoke run (tiny sizes; figures mean nothing), ' : ''}writing to ${outFile()}`);
  console.error(`bench: peers: ${peer.line}`);
  for (const m of peer.missing) console.error(`bench: ${m}`);
  const runLine = `- run ${date}${opts.smoke ? ' (smoke: tiny sizes, the figures mean nothing)' : ''}: ${peer.line}`;

  let failed = 0;
  try {
    for (const { name, mod, loadError } of mods) {
      const t0 = Date.now();
      console.error(`bench: ${name} ...`);
      try {
        if (loadError) throw loadError;
        if (typeof mod.run !== 'function') throw new Error(`bench/${name}.js exports no run()`);
        const { md, targets } = normalise(name, await mod.run({ smoke: opts.smoke }));
        console.log(md + '\n');
        writeSection(name, md);
        updateSummary(name, targets, runLine, date);
        console.error(`bench: ${name} took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      } catch (err) {
        failed++;
        const first = String(err instanceof Error ? err.message : err).replace(/\s+/g, ' ').trim().slice(0, 300);
        console.error(`bench: ${name} failed: ${err instanceof Error ? err.stack : err}`);
        await cleanupAll();
        // No stale figures: the section and the rows say that the latest run of this bench failed.
        const file = outFile();
        const before = parseSummary(existsSync(file) ? readFileSync(file, 'utf8') : '').rows.filter((r) => r.bench === name);
        const rows = (before.length ? before : [{ target: `every target of ${name}` }]).map((r) => ({ target: r.target, measured: `failed: ${first}`, met: 'failed' }));
        writeSection(name, `## ${name}\n\nThe latest run of \`npm run bench -- ${name}\` (${date}) failed, so this section has no figures: ${first.replace(/\n/g, ' ')}`);
        const fileRows = parseSummary(existsSync(file) ? readFileSync(file, 'utf8') : '');
        const kept = fileRows.rows.filter((r) => r.bench !== name);
        writeSummary([...kept, ...rows.map((r) => ({ target: r.target, measured: cell(r.measured), met: 'failed', bench: name, date }))], [runLine, ...fileRows.runs.filter((l) => !l.startsWith(`- run ${date}`))]);
      }
    }
  } finally {
    await cleanupAll();
  }
  if (failed) console.error(`bench: ${failed} of ${mods.length} benchmark(s) failed`);
  process.exitCode = failed ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
