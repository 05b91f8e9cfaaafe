// The one line `work submit` prints when its unit exists but the submit did not complete (issue 10: "a unit cut
// mid-payload does not name itself"). The library gives typed errors (unit id, byte count, why); the CLI words them.
import { describe, expect, it } from 'vitest';
import { classify } from '../../../src/cmdutil/errors.js';
import { explainFailure } from '../../../src/commands/work/submit.js';
import { AbortError, ConnectionError, MeshctlError, ServerError, UploadInterruptedError } from '../../../src/errors.js';

const sigint = new AbortError('interrupted', { signal: 'SIGINT' });
const line = (err: unknown) => {
  const v = classify(err);
  return { exit: v.exit, text: `${v.message}${v.hint ? ` (hint: ${v.hint})` : ''}` };
};
const upload = (stop: UploadInterruptedError['stop'], cause: unknown, reset = true) =>
  new UploadInterruptedError({ unitId: 'abc123', bytesSent: 36700160, stop, reset, cause });

describe('submit explain', () => {
  it('submit explain - Ctrl-C over TCP/TLS: the byte, the unit, "will not run", and how to remove it', () => {
    const err = explainFailure(upload('aborted', sigint), 'abc123', { confirmed: false });
    expect(line(err)).toEqual({
      exit: 130,
      text: "upload interrupted at byte 36700160 of the payload: work unit 'abc123' will not run (hint: remove it with: meshctl work release abc123)",
    });
    // The abort reason stays the cause, so main keeps this line instead of the silent interruption.
    expect((err as MeshctlError).cause).toBe(sigint);
  });

  it('submit explain - SIGTERM exits 143 with the same line; --rm drops the hint (the unit is released)', () => {
    const term = new AbortError('terminated', { signal: 'SIGTERM' });
    const err = explainFailure(upload('aborted', term), 'abc123', { confirmed: false, rm: true });
    expect(line(err)).toEqual({ exit: 143, text: "upload interrupted at byte 36700160 of the payload: work unit 'abc123' will not run" });
  });

  it('submit explain - over a Unix socket (no reset) the hint says receptor may still run it', () => {
    const err = explainFailure(upload('aborted', sigint, false), 'abc123', { confirmed: false });
    expect(line(err).text).toBe(
      "upload interrupted at byte 36700160 of the payload: work unit 'abc123' will not run (hint: over a Unix socket receptor cannot tell a cut payload from a whole one and may run it: check with meshctl work status abc123)",
    );
  });

  it("submit explain - the node's ERROR is quoted; exit 5", () => {
    const err = explainFailure(upload('node', new ServerError('write /d/stdin: no space left on device')), 'abc123', { confirmed: false });
    expect(line(err)).toEqual({
      exit: 5,
      text: "node answered 'ERROR: write /d/stdin: no space left on device' at byte 36700160 of the payload: work unit 'abc123' will not run (hint: see its state: meshctl work status abc123)",
    });
  });

  it('submit explain - a lost connection exits 3 and names the unit', () => {
    const err = explainFailure(upload('connection', new ConnectionError('ECLOSED', 'connection to tcp://h:1 was reset'), false), 'abc123', {
      confirmed: false,
    });
    expect(line(err)).toEqual({
      exit: 3,
      text: "upload of work unit 'abc123' stopped at byte 36700160 of the payload: connection to tcp://h:1 was reset (hint: see its state: meshctl work status abc123)",
    });
  });

  it('submit explain - a failed payload read exits 70 with the read error', () => {
    const err = explainFailure(upload('payload', Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })), 'abc123', { confirmed: false });
    expect(line(err)).toEqual({
      exit: 70,
      text: "reading the payload failed at byte 36700160 (EIO: i/o error, read): work unit 'abc123' will not run (hint: check the payload file, or the program writing to stdin)",
    });
  });

  it('submit explain - Ctrl-C after the whole payload, before the confirmation, names the unit as complete', () => {
    const err = explainFailure(sigint, 'abc123', { confirmed: false });
    expect(line(err)).toEqual({
      exit: 130,
      text: "interrupted before the node confirmed work unit 'abc123' (its whole payload was sent) (hint: see its state: meshctl work status abc123)",
    });
    expect((err as MeshctlError).cause).toBe(sigint);
  });

  it('submit explain - once confirmed (following), errors pass through; before a unit exists, too', () => {
    expect(explainFailure(sigint, 'abc123', { confirmed: true })).toBe(sigint);
    const refused = new ServerError('unknown work type nosuch');
    expect(explainFailure(refused, undefined, { confirmed: false })).toBe(refused);
  });
});
