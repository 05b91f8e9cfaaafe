import { describe, expect, test } from 'vitest';
import {
  isConnectingLine,
  isResultsHeader,
  parseGreeting,
  parseReply,
  parseSubmitCreated,
  reloadErrorCode,
  replyLineCount,
} from '../../../src/protocol/replies.js';

describe('replies', () => {
  test('replies - greeting gives the node id (controlsvc.go RunControlSession)', () => {
    expect(parseGreeting('Receptor Control, node realnode')).toBe('realnode');
    expect(parseGreeting('Receptor Control, node a b')).toBe('a b');
    expect(parseGreeting('SSH-2.0-OpenSSH_9.2')).toBeNull();
    expect(parseGreeting('Receptor Control, node ')).toBeNull();
  });

  test('replies - ERROR lines and JSON lines', () => {
    expect(parseReply('ERROR: unknown work unit abc')).toEqual({ kind: 'error', message: 'unknown work unit abc' });
    expect(parseReply('ERROR: Unknown command, ')).toEqual({ kind: 'error', message: 'Unknown command, ' });
    expect(parseReply('{"released":"abc"}')).toEqual({ kind: 'ok', value: { released: 'abc' } });
    expect(parseReply('{"From":"n","Success":true,"Time":18054,"TimeStr":"18.054µs"}')).toEqual({
      kind: 'ok',
      value: { From: 'n', Success: true, Time: 18054, TimeStr: '18.054µs' },
    });
    expect(parseReply('Connecting')).toEqual({ kind: 'bad', line: 'Connecting' });
  });

  test('replies - two reply lines exactly when Receptor fails to parse a JSON request (parseCommand)', () => {
    expect(replyLineCount('status\n')).toBe(1);
    expect(replyLineCount('{"command":"status"}\n')).toBe(1);
    expect(replyLineCount('{"command":"nosuch"}\n')).toBe(1); // parsed fine: one "Unknown command, nosuch"
    expect(replyLineCount('{bad json\n')).toBe(2);
    expect(replyLineCount('{"foo":1}\n')).toBe(2); // JSON did not contain a command
    expect(replyLineCount('{"command":5}\n')).toBe(2); // command must be a string
    expect(replyLineCount('{"command":"status"} trailing\n')).toBe(2);
    expect(replyLineCount(' {"command":"status"}\n')).toBe(1); // not JSON form: first byte is a space
  });

  test('replies - submit, results and connect markers', () => {
    expect(parseSubmitCreated('Work unit created with ID realnodezVmaTmsj. Send stdin data and EOF.')).toBe('realnodezVmaTmsj');
    expect(parseSubmitCreated('ERROR: unknown work type nosuch')).toBeNull();
    expect(isResultsHeader('Streaming results for work unit abc')).toBe(true);
    expect(isResultsHeader('ERROR: unknown work unit abc')).toBe(false);
    expect(isConnectingLine('Connecting')).toBe(true);
    expect(reloadErrorCode('no configuration file was provided, reload function not set ERRORCODE 4')).toBe(4);
    expect(reloadErrorCode('plain failure')).toBeNull();
  });
});
