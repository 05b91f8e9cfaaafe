// Remote units' pure parts: RemoteExtraData on disk and on the wire (Go struct order, secrets hidden in
// replies only), Go's "Mon Jan 2 15:04:05" expiry text, and the control-connection client a remote unit
// uses (greeting check and Go's ReadString errors), over an in-memory pair of streams.
import { Duplex, PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { goMarshal } from '../../../src/protocol/go-json.js';
import { ControlConn } from '../../../src/node/work/remote-conn.js';
import { goShortTime } from '../../../src/node/work/remote.js';
import { encodeStatusFile, extraDataValue, redactRemoteExtraData, remoteExtraData, statusForReply } from '../../../src/node/work/status.js';

/** A Duplex whose readable side is `input` and whose writes land in `written`. */
function fakeConn(input: PassThrough): { stream: Duplex; written: Buffer[] } {
  const written: Buffer[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk);
      cb();
    },
  });
  input.on('data', (c: Buffer) => stream.push(c));
  input.on('end', () => stream.push(null));
  return { stream, written };
}

describe('remote units', () => {
  const ed = remoteExtraData({ RemoteNode: 'executor', RemoteWorkType: 'cat', RemoteParams: { secret_Key: 'k', params: 'p' }, RemoteUnitID: 'u1', RemoteStarted: true });

  it('remote - ExtraData keeps RemoteExtraData field order in the status file, secrets included', () => {
    expect(encodeStatusFile({ State: 1, Detail: 'Running: PID 4', StdoutSize: 0, WorkType: 'remote', ExtraData: ed })).toBe(
      '{"State":1,"Detail":"Running: PID 4","StdoutSize":0,"WorkType":"remote","ExtraData":{"RemoteNode":"executor","RemoteWorkType":"cat",' +
        '"RemoteParams":{"params":"p","secret_Key":"k"},"RemoteUnitID":"u1","RemoteStarted":true,"LocalCancelled":false,"LocalReleased":false,' +
        '"SignWork":false,"TLSClient":"","Expiration":"0001-01-01T00:00:00Z"}}\n',
    );
  });

  it('remote - replies hide secret_ parameters whatever their case', () => {
    const reply = statusForReply({ State: 0, Detail: 'x', StdoutSize: 0, WorkType: 'remote', ExtraData: ed }, extraDataValue(redactRemoteExtraData(ed)));
    expect(goMarshal(reply)).toContain('"RemoteParams":{"params":"p"}');
    expect(ed.RemoteParams.secret_Key).toBe('k');
  });

  it('remote - missing fields of a status file read back get Go zero values', () => {
    expect(remoteExtraData({ RemoteNode: 'n' })).toEqual({
      RemoteNode: 'n',
      RemoteWorkType: '',
      RemoteParams: {},
      RemoteUnitID: '',
      RemoteStarted: false,
      LocalCancelled: false,
      LocalReleased: false,
      SignWork: false,
      TLSClient: '',
      Expiration: '0001-01-01T00:00:00Z',
    });
  });

  it('remote - expiry times print as Go "Mon Jan 2 15:04:05" in local time', () => {
    expect(goShortTime(new Date(2026, 10, 2, 3, 4, 5))).toBe('Mon Nov 2 03:04:05');
    expect(goShortTime(new Date(2025, 0, 31, 23, 59, 0))).toBe('Fri Jan 31 23:59:00');
  });

  it('remote - a control connection checks that the greeting names the node', async () => {
    const input = new PassThrough();
    const { stream } = fakeConn(input);
    input.write('Receptor Control, node other\n');
    await expect(ControlConn.open(stream, 'executor', 1000)).rejects.toThrow('while expecting node ID executor, got message: Receptor Control, node other');
  });

  it('remote - lines are read whole across chunks; EOF before a newline is an error', async () => {
    const input = new PassThrough();
    const { stream, written } = fakeConn(input);
    input.write('Receptor Control, node exec');
    input.write('utor\nWork unit created');
    const conn = await ControlConn.open(stream, 'executor', 1000);
    await conn.write('work status x\n');
    expect(Buffer.concat(written).toString()).toBe('work status x\n');
    input.write(' with ID abc. Send stdin data and EOF.\npartial');
    expect(await conn.readLine()).toBe('Work unit created with ID abc. Send stdin data and EOF.');
    input.end();
    await expect(conn.readLine()).rejects.toThrow('EOF');
  });

  it('remote - no greeting within the time allowed fails the connection', async () => {
    const { stream } = fakeConn(new PassThrough());
    await expect(ControlConn.open(stream, 'executor', 50)).rejects.toThrow('context deadline exceeded');
    expect(stream.destroyed).toBe(true);
  });
});
