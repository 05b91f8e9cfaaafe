// Incremental splitter for the server → client direction of Receptor's control protocol.
//
// The server speaks in `\n`-terminated lines until a streaming command switches the connection to raw
// bytes (`work results` after its `Streaming results ...` header, `connect` after `Connecting`). Those raw
// bytes may arrive in the same chunk as the header line, so the reader must hand every byte it has not
// consumed as a line over to the raw consumer (`takeRest`) without losing or copying more than needed.

const LF = 0x0a;
const CR = 0x0d;

export class LineReader {
  private buf: Buffer = Buffer.alloc(0);
  /** Where the next unscanned byte is, so a long partial line is not rescanned on every chunk. */
  private scanFrom = 0;

  /** Appends bytes received from the socket. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    this.buf = this.buf.length === 0 ? b : Buffer.concat([this.buf, b]);
  }

  /**
   * The next complete line without its `\n` (a trailing `\r` is dropped too, for servers that write CRLF;
   * Receptor itself writes bare `\n`). null when no complete line is buffered yet.
   */
  nextLine(): string | null {
    const idx = this.buf.indexOf(LF, this.scanFrom);
    if (idx < 0) {
      this.scanFrom = this.buf.length;
      return null;
    }
    let end = idx;
    if (end > 0 && this.buf[end - 1] === CR) end--;
    const line = this.buf.toString('utf8', 0, end);
    this.buf = this.buf.subarray(idx + 1);
    this.scanFrom = 0;
    return line;
  }

  /** Bytes buffered past the last line handed out; empties the reader. */
  takeRest(): Buffer {
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    this.scanFrom = 0;
    return rest;
  }

  /** Number of bytes buffered (not yet returned as a line). */
  get buffered(): number {
    return this.buf.length;
  }
}
