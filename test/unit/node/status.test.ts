// Status file bytes and status replies: Go struct field order on disk, Go map (sorted keys) on the wire.
import { describe, expect, it } from 'vitest';
import { goMarshal } from '../../../src/protocol/go-json.js';
import { encodeStatusFile, isComplete, stateName, statusForReply } from '../../../src/node/work/status.js';
import { exitText } from '../../../src/node/work/exit-text.js';
import { newUnitId } from '../../../src/node/work/unit-id.js';

describe('work unit status', () => {
  it('status - the file keeps Go struct order and ends with a newline', () => {
    expect(
      encodeStatusFile({ State: 1, Detail: 'Running: PID 7', StdoutSize: 3, WorkType: 'sh', ExtraData: { Params: '-c "a & b"', Pid: 7 } }),
    ).toBe('{"State":1,"Detail":"Running: PID 7","StdoutSize":3,"WorkType":"sh","ExtraData":{"Pid":7,"Params":"-c \\"a \\u0026 b\\""}}\n');
  });

  it('status - replies are sorted maps with StateName', () => {
    const reply = statusForReply({ State: 4, Detail: 'Canceled', StdoutSize: 0, WorkType: 'x', ExtraData: null });
    expect(goMarshal(reply)).toBe('{"Detail":"Canceled","ExtraData":null,"State":4,"StateName":"Canceled","StdoutSize":0,"WorkType":"x"}');
    expect(goMarshal(statusForReply({ State: 2, Detail: '', StdoutSize: 0, WorkType: 'gone', ExtraData: null }, 'Unknown WorkType'))).toContain(
      '"ExtraData":"Unknown WorkType"',
    );
  });

  it('status - state names and completeness as Receptor defines them', () => {
    expect([0, 1, 2, 3, 4, 9].map(stateName)).toEqual(['Pending', 'Running', 'Succeeded', 'Failed', 'Canceled', 'Unknown: 9']);
    expect([0, 1, 2, 3, 4].map(isComplete)).toEqual([false, false, true, true, false]);
  });

  it('status - exit texts are Go ProcessState strings', () => {
    expect(exitText(0, null)).toBe('exit status 0');
    expect(exitText(3, null)).toBe('exit status 3');
    expect(exitText(null, 'SIGKILL')).toBe('signal: killed');
    expect(exitText(null, 'SIGINT')).toBe('signal: interrupt');
    expect(exitText(null, 'SIGTERM')).toBe('signal: terminated');
    expect(exitText(null, 'SIGSEGV')).toBe('signal: segmentation fault');
  });

  it('status - unit ids are the node id (alphanumerics only) plus 8 random characters', () => {
    expect(newUnitId('node-1.example')).toMatch(/^node1example[0-9a-zA-Z]{8}$/);
    const ids = new Set(Array.from({ length: 1000 }, () => newUnitId('n')));
    expect(ids.size).toBe(1000);
  });
});

describe('go time text', () => {
  it('go-time - RFC 3339 with nanoseconds, trailing zeros trimmed, Z in UTC and the offset elsewhere', async () => {
    const { goTimeString } = await import('../../../src/node/go-time.js');
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'UTC';
      expect(goTimeString(1729787812123456700n)).toBe('2024-10-24T16:36:52.1234567Z');
      expect(goTimeString(1729787812000000000n)).toBe('2024-10-24T16:36:52Z');
      process.env.TZ = 'America/New_York';
      expect(goTimeString(1729787812123456789n)).toBe('2024-10-24T12:36:52.123456789-04:00');
      process.env.TZ = 'Asia/Kolkata';
      expect(goTimeString(1729787812500000000n)).toBe('2024-10-24T22:06:52.5+05:30');
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});
