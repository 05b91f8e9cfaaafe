// Parsing of what a Receptor control service writes back. Pure: no sockets.
// Server side: pkg/controlsvc/controlsvc.go RunControlSession (Receptor v1.6.5).

/** `Receptor Control, node <NodeID>` — written once when a session opens (RunControlSession). */
const GREETING = /^Receptor Control, node (.+)$/;

/** The node id in a greeting line, or null when the line is not a Receptor greeting. */
export function parseGreeting(line: string): string | null {
  const m = GREETING.exec(line);
  return m ? m[1]! : null;
}

export type Reply = { kind: 'ok'; value: unknown } | { kind: 'error'; message: string } | { kind: 'bad'; line: string };

/**
 * One reply line of a non-streaming command: `ERROR: <message>` or one compact JSON value.
 * `bad` means neither (a protocol violation, or not a control service at all).
 */
export function parseReply(line: string): Reply {
  if (line.startsWith('ERROR: ')) return { kind: 'error', message: line.slice('ERROR: '.length) };
  // Receptor writes `ERROR:` + space always; accept a bare `ERROR:` defensively.
  if (line === 'ERROR:') return { kind: 'error', message: '' };
  try {
    return { kind: 'ok', value: JSON.parse(line) };
  } catch {
    return { kind: 'bad', line };
  }
}

/**
 * How many reply lines a request line produces. Receptor answers a line that starts with `{` but is not a JSON
 * object with a string `command` with TWO lines: `ERROR: <parse error>` and then `ERROR: Unknown command, `
 * (parseCommand fails, the empty command then matches no handler). A client reading one line per request
 * would desynchronise, so count them the same way the server decides.
 */
export function replyLineCount(requestLine: string): 1 | 2 {
  const line = requestLine.replace(/[\r\n]/g, '');
  if (!line.startsWith('{')) return 1;
  try {
    const v: unknown = JSON.parse(line);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return 2;
    return typeof (v as Record<string, unknown>).command === 'string' ? 1 : 2;
  } catch {
    return 2;
  }
}

/** `Work unit created with ID <id>. Send stdin data and EOF.` (workceptor/controlsvc.go, submit). */
const SUBMIT_CREATED = /^Work unit created with ID (\S+)\. Send stdin data and EOF\.$/;

export function parseSubmitCreated(line: string): string | null {
  const m = SUBMIT_CREATED.exec(line);
  return m ? m[1]! : null;
}

/** `Streaming results for work unit <id>` (workceptor/controlsvc.go, results). */
export function isResultsHeader(line: string): boolean {
  return line.startsWith('Streaming results for work unit ');
}

/** `connect` answers `Connecting` before bridging (controlsvc/connect.go). */
export function isConnectingLine(line: string): boolean {
  return line.startsWith('Connecting');
}

/** Reload's `Error` text ends with ` ERRORCODE <n>` (controlsvc/reload.go): 3 = needs restart, 4 = config error. */
export function reloadErrorCode(error: string): number | null {
  const m = / ERRORCODE (\d+)$/.exec(error);
  return m ? Number(m[1]) : null;
}
