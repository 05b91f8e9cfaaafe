// `meshctl cert` in Receptor's key=value spelling against `receptor --cert-*` itself (issue 11): the same cert
// script, run twice in a row, succeeds twice with both and replaces every file; a piped answer to signreq is
// taken by both (`yes`, `YES`, `yes` without a newline sign; `no` and end of input refuse, exit 1).
//
// Part of the interop suite: like every interop test it fails (never skips) when the peers are missing.
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePeers, runMeshctl, runProgram, type ProcessResult } from '../helpers/receptor.js';

const receptor = requirePeers().receptor;

type Tool = 'receptor' | 'meshctl';

/** `receptor --cert-<verb> k=v...` or `meshctl cert <verb> k=v...`, in `cwd`, with `stdin`. */
function cert(tool: Tool, verb: 'init' | 'makereq' | 'signreq', params: string[], cwd: string, stdin = ''): Promise<ProcessResult> {
  return tool === 'receptor'
    ? runProgram(receptor, [`--cert-${verb}`, ...params], { cwd, stdin, timeoutMs: 60_000 })
    : runMeshctl(['cert', verb, ...params], { cwd, stdin, timeoutMs: 60_000 });
}

const INIT = ['commonname=Mesh CA', 'bits=2048', 'outcert=ca.crt', 'outkey=ca.key'];
const MAKEREQ = ['bits=2048', 'commonname=ingress', 'dnsname=ingress.example', 'nodeid=ingress', 'outreq=ingress.csr', 'outkey=ingress.key'];
const SIGNREQ = (out: string) => ['req=ingress.csr', 'cacert=ca.crt', 'cakey=ca.key', `outcert=${out}`];

let base: string;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'meshctl-interop-certspell-'));
});
afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('cert receptor spelling vs receptor', () => {
  for (const tool of ['receptor', 'meshctl'] as const) {
    it(`cert receptor spelling vs receptor - ${tool}: the same script twice succeeds twice and replaces every file`, async () => {
      const cwd = mkdtempSync(join(base, `${tool}-`));
      const files = ['ca.crt', 'ca.key', 'ingress.csr', 'ingress.key', 'ingress.crt'];
      const rounds: Record<string, string>[] = [];
      for (let round = 0; round < 2; round++) {
        for (const [verb, params, stdin] of [
          ['init', INIT, ''],
          ['makereq', MAKEREQ, ''],
          ['signreq', SIGNREQ('ingress.crt'), 'yes\n'],
        ] as const) {
          const r = await cert(tool, verb, [...params], cwd, stdin);
          expect(r.exitCode, `${tool} ${verb} round ${round + 1}: ${r.stderr}`).toBe(0);
        }
        rounds.push(Object.fromEntries(files.map((f) => [f, readFileSync(join(cwd, f), 'utf8')])));
      }
      for (const f of files) expect(rounds[1]![f], `${tool} ${f}`).not.toBe(rounds[0]![f]);
    });
  }

  it('cert receptor spelling vs receptor - a piped answer to signreq: both sign on yes/YES/"yes" without newline, both refuse no and EOF with exit 1', async () => {
    const cwd = mkdtempSync(join(base, 'answers-'));
    expect((await cert('receptor', 'init', INIT, cwd)).exitCode).toBe(0);
    expect((await cert('receptor', 'makereq', MAKEREQ, cwd)).exitCode).toBe(0);
    const answers: [string, number][] = [
      ['yes\n', 0],
      ['YES\n', 0],
      ['yes', 0],
      ['no\n', 1],
      ['', 1],
    ];
    let n = 0;
    for (const [answer, status] of answers) {
      const got: Record<Tool, number | null> = { receptor: null, meshctl: null };
      for (const tool of ['receptor', 'meshctl'] as const) {
        const out = `${tool}-${n}.crt`;
        const r = await cert(tool, 'signreq', SIGNREQ(out), cwd, answer);
        got[tool] = r.exitCode;
        expect(existsSync(join(cwd, out)), `${tool} ${JSON.stringify(answer)}`).toBe(status === 0);
      }
      expect(got, JSON.stringify(answer)).toEqual({ receptor: status, meshctl: status });
      n++;
    }
  });
});
