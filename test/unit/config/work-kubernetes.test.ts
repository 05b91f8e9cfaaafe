// work-kubernetes entries (issue 12, "Config fidelity"): every key of receptor 1.6.5's KubeWorkerCfg
// (pkg/workceptor/kubernetes.go), its types, defaults and required worktype, and Prepare()'s checks with
// receptor's texts. The section used to be refused as a whole.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/parse.js';
import { MeshctlError } from '../../../src/errors.js';

const parse = (text: string) => parseConfig(`- node:\n    id: foo\n${text}`, { file: 'receptor.yaml', hostname: 'testhost' });

function errorOf(text: string): string {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof MeshctlError) return err.message;
    throw err;
  }
  throw new Error('no error');
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshctl-kubecfg-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('work-kubernetes config', () => {
  it('work-kubernetes config - defaults from KubeWorkerCfg struct tags', () => {
    const cfg = parse('- work-kubernetes:\n    worktype: k\n    namespace: ns\n    image: alpine\n');
    expect(cfg.workKubernetes).toHaveLength(1);
    const { source, ...k } = cfg.workKubernetes![0]!;
    expect(source.section).toBe('work-kubernetes');
    expect(k).toEqual({
      worktype: 'k',
      namespace: 'ns',
      image: 'alpine',
      command: '',
      params: '',
      authmethod: 'incluster',
      kubeconfig: '',
      pod: '',
      allowruntimeauth: false,
      allowruntimecommand: false,
      allowruntimeparams: false,
      allowruntimepod: false,
      deletepodonrestart: true,
      streammethod: 'logger',
      verifysignature: false,
    });
  });

  it('work-kubernetes config - every key, case-insensitive, bools coerced as Go does', async () => {
    const kc = path.join(dir, 'kubeconfig');
    await writeFile(kc, 'apiVersion: v1\n');
    const cfg = parse(
      [
        '- work-verification:',
        '    publickey: /dev/null',
        '- work-kubernetes:',
        '    WorkType: k',
        '    Namespace: ns',
        '    image: alpine',
        '    command: sh',
        '    params: -c true',
        '    AuthMethod: KubeConfig',
        `    kubeconfig: ${kc}`,
        '    allowruntimeauth: "True"',
        '    allowruntimecommand: "1"',
        '    allowruntimeparams: t',
        '    allowruntimepod: true',
        '    deletepodonrestart: false',
        '    streammethod: TCP',
        '    verifysignature: true',
        '',
      ].join('\n'),
    );
    const { source: _s, ...k } = cfg.workKubernetes![0]!;
    expect(k).toEqual({
      worktype: 'k',
      namespace: 'ns',
      image: 'alpine',
      command: 'sh',
      params: '-c true',
      authmethod: 'kubeconfig',
      kubeconfig: kc,
      pod: '',
      allowruntimeauth: true,
      allowruntimecommand: true,
      allowruntimeparams: true,
      allowruntimepod: true,
      deletepodonrestart: false,
      streammethod: 'tcp',
      verifysignature: true,
    });
  });

  const bad: [string, string, RegExp][] = [
    ['worktype is required', '    image: a\n', /entry #2 \(work-kubernetes\): required parameter missing: worktype$/],
    ['an unknown key', '    worktype: k\n    image: a\n    namespace: n\n    imagee: b\n', /unknown key 'imagee'/],
    ['a bad bool', '    worktype: k\n    image: a\n    namespace: n\n    allowruntimepod: maybe\n', /bad value for 'allowruntimepod': could not parse maybe as boolean$/],
    ['an unknown authmethod', '    worktype: k\n    image: a\n    authmethod: Token\n', /entry #2 \(work-kubernetes\): invalid AuthMethod: Token$/],
    ['no namespace outside kubeconfig', '    worktype: k\n    image: a\n', /must provide namespace when AuthMethod is not kubeconfig$/],
    ['kubeconfig with incluster', '    worktype: k\n    image: a\n    namespace: n\n    kubeconfig: /x\n', /can only provide KubeConfig when AuthMethod=kubeconfig$/],
    ['a missing kubeconfig file', '    worktype: k\n    image: a\n    authmethod: kubeconfig\n    kubeconfig: /nonexistent/kc\n', /error accessing kubeconfig file: stat \/nonexistent\/kc: no such file or directory$/],
    ['pod with image', '    worktype: k\n    image: a\n    namespace: n\n    pod: /p.yaml\n', /can only provide Pod when Image, Command, and Params are empty$/],
    ['nothing to run', '    worktype: k\n    namespace: n\n', /must specify a container image to run$/],
    ['a bad streammethod', '    worktype: k\n    image: a\n    namespace: n\n    streammethod: udp\n', /stream mode must be logger or tcp$/],
  ];
  for (const [name, body, expected] of bad) {
    it(`work-kubernetes config - ${name} is refused with receptor's text`, () => {
      expect(errorOf(`- work-kubernetes:\n${body}`)).toMatch(expected);
    });
  }

  it('work-kubernetes config - a work type already declared by work-command is refused', () => {
    expect(errorOf('- work-command:\n    worktype: k\n    command: cat\n- work-kubernetes:\n    worktype: k\n    image: a\n    namespace: n\n')).toMatch(
      /entry #3 \(work-kubernetes\).*work type k already registered$/,
    );
  });

  it('work-kubernetes config - verifysignature without work-verification is accepted, as KubeWorkerCfg.Prepare does', () => {
    const cfg = parse('- work-kubernetes:\n    worktype: k\n    image: a\n    namespace: n\n    verifysignature: true\n');
    expect(cfg.workKubernetes![0]!.verifysignature).toBe(true);
  });
});
