// Tables fit the terminal (issue 11: they wrapped mid-word instead): the least important and widest columns are
// cut with '…', ids and states never; --wide (RenderContext.wide) and an unknown width keep every cell whole;
// piped output (TSV) is never cut.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Status, TracerouteResult, WorkList, WorkUnitStatus } from '../../../src/protocol/types.js';
import { renderTraceroute } from '../../../src/render/mesh.js';
import { renderStatus } from '../../../src/render/status.js';
import { prepareStyles, renderContext } from '../../../src/render/style.js';
import { alignedTable, fitColumns, MIN_CUT_WIDTH, table } from '../../../src/render/table.js';
import { renderWorkList } from '../../../src/render/work.js';

beforeAll(() => prepareStyles(true));

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
/** Terminal columns of a line (the test data is ASCII and '…', one column each). */
const width = (line: string) => [...strip(line)].length;
const lines = (text: string) => text.replace(/\n$/, '').split('\n');

const unit = (o: Partial<WorkUnitStatus>): WorkUnitStatus => ({
  Detail: 'exit status 0',
  ExtraData: null,
  State: 2,
  StateName: 'Succeeded',
  StdoutSize: 12,
  WorkType: 'echo',
  ...o,
});
const list: WorkList = {
  X7bq2LkP: unit({}),
  Yt91mQzA: unit({
    State: 3,
    StateName: 'Failed',
    WorkType: 'ansible-runner-with-a-long-name',
    Detail: 'fork/exec /nonexistent/a/rather/long/path/to/a/program/that/is/not/there: no such file or directory',
  }),
};

describe('render table - fitColumns', () => {
  it('render table - natural widths when they fit', () => {
    expect(fitColumns([5, 10, 20], [5, 5, 5], [0, 1, 1], 35)).toEqual([5, 10, 20]);
  });

  it('render table - the widest shrinkable column is cut first, down to a shared cap', () => {
    expect(fitColumns([5, 10, 20], [5, 6, 6], [0, 1, 1], 25)).toEqual([5, 10, 10]);
    expect(fitColumns([5, 10, 20], [5, 6, 6], [0, 1, 1], 21)).toEqual([5, 8, 8]);
  });

  it('render table - priority 1 goes down to its floor before priority 2 is touched', () => {
    expect(fitColumns([8, 30, 40], [8, 6, 6], [0, 2, 1], 60)).toEqual([8, 30, 22]);
    expect(fitColumns([8, 30, 40], [8, 6, 6], [0, 2, 1], 30)).toEqual([8, 16, 6]);
  });

  it('render table - columns that never shrink keep their width, even when the rest cannot fit', () => {
    expect(fitColumns([20, 30], [20, 6], [0, 1], 10)).toEqual([20, 6]);
  });

  it('render table - narrower than every floor: the floors, and the terminal wraps the rest', () => {
    // Work list at 40 columns: id, state and size whole, headers whole, gaps: 46 columns at the least.
    const text = renderWorkList(list, renderContext(true, false, { width: 40 }));
    expect(lines(text)[0]).toBe('Unit ID   Work Type  State      Stdout  Detail');
    expect(lines(text)[2]).toBe('Yt91mQzA  ansible-…  Failed     12      fork/…');
  });
});

describe('render table - fitting the terminal', () => {
  for (const cols of [50, 60, 80, 100]) {
    it(`render table - work list at ${cols} columns: no line wider, ids and states whole, cut cells end in '…'`, () => {
      const text = renderWorkList(list, renderContext(true, true, { width: cols }));
      for (const l of lines(text)) expect(width(l), l).toBeLessThanOrEqual(cols);
      expect(text).toMatch(/^X7bq2LkP /m);
      expect(text).toMatch(/^Yt91mQzA /m);
      expect(text).toContain('\x1b[31mFailed\x1b[39m');
      expect(strip(text)).toContain('…');
      expect(lines(text)).toHaveLength(3); // nothing wrapped onto a line of its own
    });
  }

  it('render table - the Detail column gives way first: at 100 columns the work type is still whole', () => {
    const text = strip(renderWorkList(list, renderContext(true, false, { width: 100 })));
    expect(text).toContain('ansible-runner-with-a-long-name');
    expect(text).toMatch(/fork\/exec \/nonexistent\S*…$/m);
  });

  it('render table - wide enough, or --wide, or an unknown width: every cell whole and the layout unchanged', () => {
    const natural = renderWorkList(list, renderContext(true, false));
    expect(natural).not.toContain('…');
    expect(natural).toContain('no such file or directory');
    expect(renderWorkList(list, renderContext(true, false, { width: 400 }))).toBe(natural);
    expect(renderWorkList(list, renderContext(true, false, { width: 40, wide: true }))).toBe(natural);
    expect(renderWorkList(list, renderContext(true, false, { width: 0 }))).toBe(natural);
  });

  it('render table - piped output (TSV) is never cut, whatever the width', () => {
    const piped = renderWorkList(list, renderContext(false, false, { width: 20 }));
    expect(piped).toContain('fork/exec /nonexistent/a/rather/long/path/to/a/program/that/is/not/there: no such file or directory\n');
    expect(table(['A', 'B'], [['x'.repeat(50), 'y'.repeat(50)]], renderContext(false, false, { width: 20 }))).toBe(`${'x'.repeat(50)}\t${'y'.repeat(50)}\n`);
  });

  it('render table - headers are never cut; a cut column keeps at least MIN_CUT_WIDTH', () => {
    const text = alignedTable(['Name', 'Description'], [['a', 'z'.repeat(100)]], renderContext(true, false, { width: 10 }), [{}, { shrink: 1 }]);
    expect(lines(text)[0]).toBe('Name  Description');
    expect(lines(text)[1]).toBe(`a     ${'z'.repeat(10)}…`);
    const narrow = alignedTable(['N', 'D'], [['a', 'z'.repeat(100)]], renderContext(true, false, { width: 4 }), [{}, { shrink: 1 }]);
    expect(lines(narrow)[1]).toBe(`a  ${'z'.repeat(MIN_CUT_WIDTH - 1)}…`);
  });

  it('render table - without column specs nothing is cut (the terminal wraps, as before)', () => {
    const text = alignedTable(['A'], [['x'.repeat(30)]], renderContext(true, false, { width: 10 }));
    expect(text).toBe(`A\n${'x'.repeat(30)}\n`);
  });

  it('render table - status tables fit: tags and names give way, types and times stay whole', () => {
    const status: Partial<Status> = {
      NodeID: 'controller',
      Advertisements: [
        {
          NodeID: 'execution-node-with-a-very-long-name.example.internal',
          Service: 'control',
          ConnType: 1,
          Time: '2024-10-24T16:36:52.1234567-04:00',
          Tags: { type: 'Control Service', region: 'us-east-1-with-a-long-suffix', owner: 'platform-team' },
          WorkCommands: [{ WorkType: 'ansible-runner', Secure: false }],
        },
      ],
    } as Partial<Status>;
    const text = renderStatus(status, renderContext(true, false, { width: 60 }));
    for (const l of lines(text)) expect(width(l), l).toBeLessThanOrEqual(60);
    expect(text).toContain('Stream');
    expect(text).toContain('2024-10-24 16:36:52');
    expect(renderStatus(status, renderContext(true, false, { width: 60, wide: true }))).toContain('owner=platform-team');
  });

  it('render table - traceroute: the error text gives way first', () => {
    const result: TracerouteResult = {
      '0': { From: 'controller', TimeStr: '12µs', Time: 12000 },
      '1': { From: 'hop-one', TimeStr: '1.2ms', Time: 1200000, Error: 'no route to node unreachable-node-with-a-long-name: timeout after 10s' },
    } as TracerouteResult;
    const text = strip(renderTraceroute(result, renderContext(true, false, { width: 50 })));
    for (const l of lines(text)) expect(width(l), l).toBeLessThanOrEqual(50);
    expect(text).toMatch(/^1 +hop-one +1\.2ms +no route to .*…$/m);
  });
});
