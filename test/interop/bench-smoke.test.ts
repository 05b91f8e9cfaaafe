// The benchmarks' CI smoke run (issue 13: "a CI-safe smoke run of the bench proves that it still works"):
// `node bench/run.js --smoke --out FILE` runs every bench of bench/list.js at tiny sizes against the built meshctl
// (test:interop builds first) and the real receptor, receptorctl and socat. It asserts what the run produced, never
// how fast: exit 0, a section with a table of figures per bench, a summary row per bench's targets, the peers'
// rows present (they are installed in this suite, so their absence fails rather than passing vacuously), the rows
// of an earlier run of another bench kept, and docs/performance.md untouched.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error bench/ is plain JavaScript without declarations.
import { BENCHES } from '../../bench/list.js';
import { requirePeers } from '../helpers/receptor.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOCS = join(ROOT, 'docs', 'performance.md');
const names = BENCHES as string[];

// A summary as an earlier run of a bench outside this run left it: the smoke run must keep its row and run line.
const EARLIER_DATE = '2000-01-01 00:00 UTC';
const SEED = [
  '# Performance',
  '',
  'Hand-written intro.',
  '',
  '<!-- bench:summary -->',
  '## Summary',
  '',
  `- run ${EARLIER_DATE}: receptor 1.6.5 (/earlier/receptor)`,
  '',
  '| target | measured | met? | bench | run date |',
  '|---|---|---|---|---|',
  `| an earlier target | 1.00 \\| 2.00 | yes | earlier-bench | ${EARLIER_DATE} |`,
  '<!-- /bench:summary -->',
  '',
].join('\n');

function section(text: string, name: string): string | undefined {
  const begin = `<!-- bench:${name} -->`;
  const i = text.indexOf(begin);
  const j = text.indexOf(`<!-- /bench:${name} -->`);
  return i >= 0 && j > i ? text.slice(i + begin.length, j).trim() : undefined;
}

/** Table lines of a section: rows that start with `|`, without the `|---|` separators. */
const tableRows = (md: string) => md.split('\n').filter((l) => l.startsWith('|') && !/^\|[-:|\s]+\|$/.test(l.trim()));

function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

const dir = mkdtempSync(join(tmpdir(), 'meshctl-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench - smoke run', () => {
  it('bench - `run.js --smoke --out FILE` runs every bench against receptor, receptorctl and socat, writes every section and summary row, and leaves docs/performance.md alone', async () => {
    const peers = requirePeers();
    const out = join(dir, 'performance.md');
    writeFileSync(out, SEED);
    const docsBefore = readFileSync(DOCS);
    // The bench finds receptor through RECEPTOR_BIN or PATH and receptorctl and socat through PATH.
    const env = {
      ...process.env,
      RECEPTOR_BIN: peers.receptor,
      PATH: [dirname(peers.receptor), dirname(peers.receptorctl), process.env.PATH ?? ''].join(delimiter),
      BENCH_OUT: '',
    };
    const child = spawn(process.execPath, [join(ROOT, 'bench', 'run.js'), '--smoke', '--out', out], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // Generous: the smoke run takes a minute or two on a busy 2-core machine; this only stops a hang.
    const killer = setTimeout(() => child.kill('SIGTERM'), 540_000);
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    clearTimeout(killer);
    // On failure, show each failed bench's error (run.js prints `bench: NAME failed: STACK`) rather than the log's tail.
    const failures = stderr.split(/^(?=bench: )/m).filter((part) => / failed: /.test(part.split('\n')[0]));
    expect(code, `bench/run.js --smoke exited ${code}:\n${failures.map((f) => f.slice(0, 1500)).join('\n') || stderr.slice(-4000)}`).toBe(0);

    // It names the peers it found, with their versions, at the start.
    expect(stderr).toMatch(/bench: peers: receptor 1\.6\.5 .*receptorctl 1\.6\.5 .*socat \S+/);
    expect(stderr).not.toMatch(/not installed/);

    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('# Performance\n\nHand-written intro.\n')).toBe(true);
    for (const name of names) {
      const md = section(text, name);
      expect(md, `section of ${name}`).toBeDefined();
      expect(md!.startsWith('## '), `${name} starts with a heading`).toBe(true);
      expect(stdout).toContain(md!.split('\n')[0]);
      const rows = tableRows(md!);
      expect(rows.some((r) => /\|\s*[\d.]+/.test(r)), `${name} has a table with numbers:\n${md}`).toBe(true);
      expect(md, `${name} says a peer is missing`).not.toMatch(/(receptor|receptorctl|socat)\W[^.\n]{0,40}(not installed|not found|is missing)/i);
      const mod = await import(pathToFileURL(join(ROOT, 'bench', `${name}.js`)).href);
      for (const peer of (mod.uses ?? []) as string[]) {
        // A table line naming the peer (its rows, or its column for a bench that puts nodes side by side).
        expect(
          rows.some((r) => r.toLowerCase().includes(peer)),
          `${name}: no table line names ${peer}:\n${md}`,
        ).toBe(true);
      }
    }

    const summary = section(text, 'summary');
    expect(summary).toBeDefined();
    const header = '| target | measured | met? | bench | run date |';
    const rows = summary!
      .split('\n')
      .slice(summary!.split('\n').indexOf(header) + 2)
      .filter((l) => l.startsWith('|'))
      .map(cells);
    for (const name of names) {
      const own = rows.filter((r) => r[3] === name);
      expect(own.length, `summary rows of ${name}`).toBeGreaterThan(0);
      for (const r of own) {
        expect(r, `${name}: ${r.join(' | ')}`).toHaveLength(5);
        expect(['yes', 'no', 'measured']).toContain(r[2]);
        // A judged target carries its figure (a bench without target rows gets one 'measured' row saying so).
        if (r[2] !== 'measured') expect(r[1]).toMatch(/\d/);
        expect(r[4]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
        expect(r[4]).not.toBe(EARLIER_DATE);
      }
    }
    // The smoke run's peers, and the earlier run's row and line kept (a run of some benches replaces only theirs).
    expect(summary).toMatch(/^- run .*\(smoke.*receptor 1\.6\.5 .*receptorctl 1\.6\.5 .*socat /m);
    expect(rows).toContainEqual(['an earlier target', '1.00 \\| 2.00', 'yes', 'earlier-bench', EARLIER_DATE]);
    expect(summary).toContain(`- run ${EARLIER_DATE}: receptor 1.6.5 (/earlier/receptor)`);

    expect(readFileSync(DOCS).equals(docsBefore), 'docs/performance.md was modified by a --out run').toBe(true);
  }, 600_000);
});
