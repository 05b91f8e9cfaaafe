import { beforeAll, describe, expect, it } from 'vitest';
import type { WorkList, WorkUnitStatus } from '../../../src/protocol/types.js';
import { prepareStyles, renderContext } from '../../../src/render/style.js';
import { outcomeOf, renderOutcome, renderSubmitResult, renderWorkList, renderWorkStatus } from '../../../src/render/work.js';

beforeAll(() => prepareStyles(true));

const ok: WorkUnitStatus = { Detail: 'exit status 0', ExtraData: null, State: 2, StateName: 'Succeeded', StdoutSize: 12, WorkType: 'echo' };
const failed: WorkUnitStatus = { Detail: 'exit status 3\nmore', ExtraData: null, State: 3, StateName: 'Failed', StdoutSize: 5, WorkType: 'fail' };
const remote: WorkUnitStatus = {
  Detail: 'Running: PID 12',
  ExtraData: {
    RemoteNode: 'beta',
    RemoteWorkType: 'echo',
    RemoteParams: {},
    RemoteUnitID: 'r1',
    RemoteStarted: true,
    LocalCancelled: false,
    LocalReleased: false,
    SignWork: false,
    TLSClient: '',
    Expiration: '0001-01-01T00:00:00Z',
  },
  State: 1,
  StateName: 'Running',
  StdoutSize: 0,
  WorkType: 'remote',
};
const list: WorkList = { u1: ok, u2: failed };

const plain = renderContext(false, false);
const tty = renderContext(true, false);

describe('render work', () => {
  it('render work - list piped: id, type, state, size, detail; line breaks escaped', () => {
    expect(renderWorkList(list, plain)).toBe('u1\techo\tSucceeded\t12\texit status 0\nu2\tfail\tFailed\t5\texit status 3\\nmore\n');
  });

  it('render work - list on a terminal: header and aligned columns; Remote Node only when there is one', () => {
    const text = renderWorkList(list, tty);
    expect(text.split('\n')[0]).toMatch(/^Unit ID {2}Work Type {2}State {6}Stdout {2}Detail$/);
    expect(text).toMatch(/^u1 {7}echo {7}Succeeded {2}12 {6}exit status 0$/m);
    expect(text).not.toContain('Remote Node');
    expect(renderWorkList({ u3: remote }, tty)).toMatch(/Remote Node\nu3 .* beta\n$/);
  });

  it('render work - empty list renders nothing', () => {
    expect(renderWorkList({}, tty)).toBe('');
    expect(renderWorkList({}, plain)).toBe('');
  });

  it('render work - state colours on a colour terminal', () => {
    const text = renderWorkList(list, renderContext(true, true));
    expect(text).toContain('\x1b[32mSucceeded\x1b[39m');
    expect(text).toContain('\x1b[31mFailed\x1b[39m');
  });

  it('render work - status piped is key<TAB>value, ExtraData flattened', () => {
    const text = renderWorkStatus('u3', remote, plain);
    expect(text).toContain('unit_id\tu3\n');
    expect(text).toContain('state\t1\nstate_name\tRunning\n');
    expect(text).toContain('extra.RemoteNode\tbeta\n');
    expect(text).toContain('extra.RemoteParams\t{}\n');
  });

  it('render work - status on a terminal', () => {
    const text = renderWorkStatus('u1', ok, tty);
    expect(text).toContain('State:       Succeeded (2)\n');
    expect(text).toContain('Stdout Size: 12 bytes\n');
    expect(renderWorkStatus('u9', { ...ok, ExtraData: 'Unknown WorkType' }, tty)).toContain('Extra Data:  Unknown WorkType');
  });

  it('render work - outcomes and submit results', () => {
    expect(outcomeOf({ 'release pending': 'u1' })).toEqual(['u1', 'release pending']);
    expect(renderOutcome({ cancelled: 'u1' }, plain)).toBe('u1\tcancelled\n');
    expect(renderOutcome({ cancelled: 'u1' }, tty)).toBe('cancelled u1\n');
    expect(renderSubmitResult({ result: 'Job Started', unitid: 'u7' }, plain)).toBe('u7\n');
    expect(renderSubmitResult({ result: 'Job Started', unitid: 'u7' }, tty)).toBe('Result:  Job Started\nUnit ID: u7\n');
  });
});
