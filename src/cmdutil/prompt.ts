// Questions to the user: the question on stderr (stdout carries data), the answer one line from stdin. Whether a
// command may ask at all is its own rule (IOStreams.canPrompt: a person at a terminal; `cert signreq` in
// Receptor's spelling also takes a piped answer, as receptor --cert-signreq does).
import type { IOStreams } from './io/iostreams.js';

/**
 * One line from stdin after printing `question` on stderr: the text up to the first newline, or up to the end of
 * input when the last line has none (`printf yes | ...`, which receptor accepts too); undefined at end of input or
 * when `signal` fires. Bytes after the line are put back on stdin.
 */
export function ask(io: IOStreams, question: string, signal?: AbortSignal): Promise<string | undefined> {
  io.stderr.write(question);
  const input = io.stdin;
  if (signal?.aborted || input.readableEnded || input.destroyed) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let text = '';
    const finish = (answer: string | undefined) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onEnd);
      signal?.removeEventListener('abort', onAbort);
      input.pause();
      resolve(answer);
    };
    const onData = (chunk: Buffer | string) => {
      text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      const rest = text.slice(nl + 1);
      finish(text.slice(0, nl).replace(/\r$/, ''));
      if (rest !== '') input.unshift(Buffer.from(rest, 'utf8'));
    };
    const onEnd = () => finish(text === '' ? undefined : text);
    const onAbort = () => finish(undefined);
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onEnd);
    signal?.addEventListener('abort', onAbort, { once: true });
    input.resume();
  });
}

/**
 * Asks a yes/no question: true for `y` or `yes` in any case, spaces around ignored (Receptor's signreq accepts
 * those: fmt.Scanln then strings.ToLower, pkg/certificates/cli.go); anything else, or end of input, is no.
 */
export async function confirm(io: IOStreams, question: string, signal?: AbortSignal): Promise<boolean> {
  const answer = (await ask(io, question, signal))?.trim().toLowerCase();
  return answer === 'y' || answer === 'yes';
}
