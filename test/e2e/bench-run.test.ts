// bench/run.js's bookkeeping, without running a real benchmark: a bench that fails leaves `failed` in its section
// and summary rows (never the figures of an earlier run) and the run exits 1; other benches' rows stay; a bad
// argument is one line and exit 2. The failing bench is `results` with a size it cannot parse, so nothing starts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUN = join(ROOT, 'bench', 'run.js');
const dir = mkdtempSync(join(tmpdir(), 'meshctl-bench-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OLD = '2000-01-01 00:00 UTC';
const seeded = [
  '# Performance',
  '',
  '<!-- bench:summary -->',
  '## Summary',
  '',
  `- run ${OLD}: receptor 1.6.5 (/old)`,
  '',
  '| target | measured | met? | bench | run date |',
  '|---|---|---|---|---|',
  `| results at 1 GiB over TLS | 0.95 × socat | yes | results | ${OLD} |`,
  `| mesh status within 2 s | 1194 ms | yes | mesh-status | ${OLD} |`,
  '<!-- /bench:summary -->',
  '',
  '<!-- bench:results -->',
  '## Results throughput',
  '',
  '| old | figures |',
  '|---|---|',
  '| 1 | 2 |',
  '<!-- /bench:results -->',
  '',
].join('\n');

describe('bench - run.js', () => {
  it('bench - a failed bench turns its section and summary rows into `failed`, keeps the other benches\' rows, and exits 1', () => {
    const out = join(dir, 'perf.md');
    writeFileSync(out, seeded);
    const r = spawnSync(process.execPath, [RUN, '--out', out, 'results'], { encoding: 'utf8', env: { ...process.env, BENCH_RESULTS_SIZES: 'lots' }, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain("bench: results failed: Error: bench results: bad size 'lots'");
    expect(r.stderr).toMatch(/^bench: peers: receptor /m);
    const text = readFileSync(out, 'utf8');
    const results = text.slice(text.indexOf('<!-- bench:results -->'), text.indexOf('<!-- /bench:results -->'));
    expect(results).toContain('failed, so this section has no figures');
    expect(results).not.toContain('| 1 | 2 |');
    const rows = text.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| target'));
    const failed = rows.find((l) => l.startsWith('| results at 1 GiB over TLS |'));
    expect(failed).toMatch(/^\| results at 1 GiB over TLS \| failed: bench results: bad size 'lots'.* \| failed \| results \| \d{4}-\d\d-\d\d \d\d:\d\d UTC \|$/);
    expect(failed).not.toContain(OLD);
    expect(rows).toContain(`| mesh status within 2 s | 1194 ms | yes | mesh-status | ${OLD} |`);
    expect(text).toContain(`- run ${OLD}: receptor 1.6.5 (/old)`);
    expect(text.match(/<!-- bench:summary -->/g)).toHaveLength(1);
  });

  it('bench - an unknown benchmark or option is one line naming it, exit 2, and nothing is written', () => {
    const out = join(dir, 'untouched.md');
    writeFileSync(out, 'before\n');
    const bad = spawnSync(process.execPath, [RUN, '--out', out, 'nope'], { encoding: 'utf8', timeout: 30_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^bench: unknown benchmark 'nope' \(have: startup, .*big-request.*\)$/);
    const opt = spawnSync(process.execPath, [RUN, '--out', out, '--fast'], { encoding: 'utf8', timeout: 30_000 });
    expect(opt.status).toBe(2);
    expect(opt.stderr.trim()).toBe("bench: unknown option '--fast' (have: --smoke, --out FILE)");
    expect(readFileSync(out, 'utf8')).toBe('before\n');
  });
});
