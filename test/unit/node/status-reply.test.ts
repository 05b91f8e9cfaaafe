// statusReplyJson writes a unit's `work status` / `work list` value without building the map goMarshal sorts
// (issue 13: most of a 10k-unit list's time). It must give goMarshal(statusForReply(...))'s bytes for every
// status a node can hold: Go's escaping in every string, ExtraData of each kind, odd numbers, unknown states.
import { describe, expect, it } from 'vitest';
import { goMarshal } from '../../../src/protocol/go-json.js';
import { remoteExtraData, statusForReply, statusReplyJson, type StatusFileData } from '../../../src/node/work/status.js';

const STRINGS = ['', 'exit status 0', 'a "quoted" \\ path', '<b>&amp;</b>', 'tab\there\nnewline\r\u0001\u001f', '\u2028\u2029', 'caf\u00e9 \u{1F600}', 'lone \ud800 surrogate', '\udfff', 'x'.repeat(3000)];
const EXTRAS: StatusFileData['ExtraData'][] = [
  null,
  { Pid: 4242, Params: '-c "echo <hi> & bye"' },
  remoteExtraData({ RemoteNode: 'n2', RemoteWorkType: 'cat', RemoteParams: { b: '2', a: '<1>', secret_x: 's' }, SignWork: true }),
  'a string',
  { Zeta: 1, alpha: [1, 'two', null], Nested: { y: 2, x: '\u0000' } },
];
const NUMBERS = [0, 1, 4, 9, 9007199254740991, -3, 1.5, 1e21, 1e-7, -0];

describe('status reply JSON', () => {
  it('status reply - statusReplyJson gives goMarshal(statusForReply) bytes for every kind of status', () => {
    let checked = 0;
    for (const Detail of STRINGS) {
      for (const ExtraData of EXTRAS) {
        for (const State of NUMBERS) {
          const s: StatusFileData = { State, Detail, StdoutSize: NUMBERS[(checked * 7) % NUMBERS.length]!, WorkType: STRINGS[checked % STRINGS.length]!, ExtraData };
          expect(statusReplyJson(s)).toBe(goMarshal(statusForReply(s)));
          expect(statusReplyJson(s, 'Unknown WorkType')).toBe(goMarshal(statusForReply(s, 'Unknown WorkType')));
          checked++;
        }
      }
    }
    expect(checked).toBe(STRINGS.length * EXTRAS.length * NUMBERS.length);
  });

  it('status reply - a number Go cannot write fails as goMarshal does', () => {
    const s: StatusFileData = { State: 2, Detail: '', StdoutSize: Number.NaN, WorkType: 'x', ExtraData: null };
    expect(() => goMarshal(statusForReply(s))).toThrow(/unsupported value: NaN/);
    expect(() => statusReplyJson(s)).toThrow(/unsupported value: NaN/);
  });
});
