// Peer strings carrying terminal control characters, through every human view: shown as visible escapes on a
// terminal (with colour on: meshctl's own SGR codes stay, the peer's ESC does not) and piped; --json and --yaml
// keep the exact data with no raw control character. Regression for issue 10: `work list` printed unit IDs with
// ESC sequences raw.
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Status, WorkList, WorkUnitStatus } from '../../../src/protocol/types.js';
import { renderPingReply, renderTraceroute, renderVersion } from '../../../src/render/mesh.js';
import { renderStatus } from '../../../src/render/status.js';
import { toJson, toYaml } from '../../../src/render/structured.js';
import { prepareStyles, renderContext, type RenderContext } from '../../../src/render/style.js';
import { renderOutcome, renderSubmitResult, renderWorkList, renderWorkStatus } from '../../../src/render/work.js';

beforeAll(() => prepareStyles(true));

// An ID that clears the screen, sets the window title, turns text red, uses a C1 CSI and hides with bidi.
const EVIL = 'ab\u001b[2J\u001b]0;pwned\u0007\u009b31m\u202ecd\r';
const EVIL_SHOWN = 'ab\\x1b[2J\\x1b]0;pwned\\a\\u009b31m\\u202ecd\\r';

/**
 * No raw control character once meshctl's own colour codes (SGR `ESC [ n m`) and its layout (line ends, the
 * tabs between piped fields) are taken out. Peer tabs and newlines are checked by the piped-record test.
 */
function expectNoRawControls(out: string): void {
  const withoutOwnColour = out.replace(/\u001b\[\d+m/g, '');
  const raw = withoutOwnColour.replace(/[\n\t]/g, '').match(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g);
  expect(raw, JSON.stringify(out)).toBeNull();
}

// Made inside each test: a colour context needs prepareStyles() (beforeAll) first.
const contexts: [string, () => RenderContext][] = [
  ['piped', () => renderContext(false, false)],
  ['terminal', () => renderContext(true, false)],
  ['colour terminal', () => renderContext(true, true)],
];

const unit: WorkUnitStatus = {
  State: 3,
  StateName: `Failed${EVIL}`,
  Detail: `exit status 1: ${EVIL}`,
  StdoutSize: 3,
  WorkType: `cat${EVIL}`,
  ExtraData: { RemoteNode: `n${EVIL}`, [`Key${EVIL}`]: `v${EVIL}` },
};
const list: WorkList = { [EVIL]: unit };

const status: Status = {
  NodeID: `node${EVIL}`,
  Version: `1.6.5${EVIL}`,
  SystemCPUCount: 2,
  SystemMemoryMiB: 100,
  Connections: [{ NodeID: `peer${EVIL}`, Cost: 1 }],
  KnownConnectionCosts: { [`k${EVIL}`]: { [`p${EVIL}`]: 1 } },
  RoutingTable: { [`r${EVIL}`]: `via${EVIL}` },
  Advertisements: [
    {
      NodeID: `ad${EVIL}`,
      Service: `svc${EVIL}`,
      Time: `2024-10-24T20:36:00Z${EVIL}`,
      ConnType: 1,
      Tags: { [`t${EVIL}`]: `v${EVIL}` },
      WorkCommands: [
        { WorkType: `w${EVIL}`, Secure: false },
        { WorkType: `s${EVIL}`, Secure: true },
      ],
    },
  ],
};
const statusWithExtra = { ...status, [`Extra${EVIL}`]: `x${EVIL}` } as unknown as Status;

describe('render control characters', () => {
  for (const [name, makeCtx] of contexts) {
    it(`render control characters - work list, status, outcomes and submit results (${name})`, () => {
      const ctx = makeCtx();
      const outputs = [
        renderWorkList(list, ctx),
        renderWorkStatus(EVIL, unit, ctx),
        renderOutcome({ released: EVIL }, ctx),
        renderOutcome({ [`released${EVIL}`]: 'u1' }, ctx),
        renderSubmitResult({ result: `Job Started${EVIL}`, unitid: EVIL }, ctx),
      ];
      for (const out of outputs) {
        expectNoRawControls(out);
        expect(out).toContain(EVIL_SHOWN);
      }
    });

    it(`render control characters - status, ping, traceroute and version (${name})`, () => {
      const ctx = makeCtx();
      const outputs = [
        renderStatus(statusWithExtra, ctx),
        renderPingReply({ Success: true, From: `n${EVIL}`, Time: 1, TimeStr: `1ms${EVIL}` }, ctx),
        renderTraceroute({ '0': { From: `n${EVIL}`, Time: 1, TimeStr: `1ms${EVIL}`, Error: `e${EVIL}` } }, ctx),
        renderVersion('0.1.0', `1.6.5${EVIL}`, `id${EVIL}`, ctx),
      ];
      for (const out of outputs) {
        expectNoRawControls(out);
        expect(out).toContain(EVIL_SHOWN);
      }
    });
  }

  it('render control characters - a terminal table stays aligned: escapes count at their shown width', () => {
    const out = renderWorkList({ [EVIL]: unit, short: { ...unit, StateName: 'Failed', Detail: 'd', WorkType: 'cat' } }, renderContext(true, false));
    const lines = out.trimEnd().split('\n');
    // The Work Type column starts at the same offset on every line.
    const starts = lines.map((l, i) => (i === 0 ? l.indexOf('Work Type') : l.indexOf('cat')));
    expect(new Set(starts).size).toBe(1);
  });

  it('render control characters - piped work list: one record per line, five fields, newline and tab escaped', () => {
    const out = renderWorkList({ 'a\tb\nc': { ...unit, Detail: 'x\ny\tz' } }, renderContext(false, false));
    expect(out.split('\n')).toHaveLength(2);
    expect(out.split('\n')[0]!.split('\t')).toHaveLength(5);
    expect(out).toMatch(/^a\\tb\\nc\t/);
    expect(out).toContain('\tx\\ny\\tz\n');
  });

  it('render control characters - --json keeps the exact data with no raw control character', () => {
    const text = toJson({ list, status: statusWithExtra });
    expectNoRawControls(text);
    expect(JSON.parse(text)).toEqual({ list, status: statusWithExtra });
  });

  it('render control characters - --yaml keeps the exact data with no raw control character', async () => {
    const text = await toYaml({ list, status: statusWithExtra, plain: 'tab\tand\nnewline' });
    expectNoRawControls(text);
    expect(parseYaml(text)).toEqual({ list, status: statusWithExtra, plain: 'tab\tand\nnewline' });
  });

  it('render control characters - clean --yaml output is what the yaml package writes', async () => {
    const { stringify } = await import('yaml');
    const data = { a: [1, 'two', { b: 'multi\nline' }], 'key with spaces': null, t: true };
    expect(await toYaml(data)).toBe(stringify(data));
  });
});
