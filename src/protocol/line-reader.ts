// Incremental splitter for the server → client direction of Receptor's control protocol.
//
// The server speaks in `\n`-terminated lines until a streaming command switches the connection to raw
// bytes (`work results` after its `Streaming results ...` header, `connect` after `Connecting`). Those raw
// bytes may arrive in the same chunk as the header line, so the reader must hand every byte it has not
// consumed as a line over to the raw consumer (`takeRest`) without losing or copying more than needed.
//
// Linear in the reply's size: a reply line can be tens of megabytes (`work list` of a node with 100k units is
// one JSON line), which arrives in thousands of socket chunks. Chunks that hold no `\n` are kept in a list and
// joined once, when the chunk ending the line arrives; joining on every push (as this reader once did) copied
// the partial line again per chunk, and a 74 MB reply took 152 s instead of 5.

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

export class LineReader {
  /** Contiguous bytes: the head of the buffered data, where lines are cut from. */
  private buf: Buffer = EMPTY;
  /** Where the next unscanned byte of `buf` is, so a long partial line is not rescanned on every call. */
  private scanFrom = 0;
  /** Chunks received after `buf`, not yet joined to it. */
  private pending: Buffer[] = [];
  private pendingLen = 0;
  /** pending[0..pendingScanned) are known to hold no `\n`. */
  private pendingScanned = 0;

  /** Appends bytes received from the socket. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (this.buf.length === 0 && this.pending.length === 0) {
      this.buf = b;
      this.scanFrom = 0;
      return;
    }
    this.pending.push(b);
    this.pendingLen += b.length;
  }

  /**
   * The next complete line without its `\n` (a trailing `\r` is dropped too, for servers that write CRLF;
   * Receptor itself writes bare `\n`). null when no complete line is buffered yet.
   */
  nextLine(): string | null {
    let idx = this.buf.indexOf(LF, this.scanFrom);
    if (idx < 0) {
      this.scanFrom = this.buf.length;
      // Look for the line's end in the chunks not yet joined; join only up to the chunk that holds it.
      let at = -1;
      while (this.pendingScanned < this.pending.length) {
        if (this.pending[this.pendingScanned].indexOf(LF) >= 0) {
          at = this.pendingScanned;
          break;
        }
        this.pendingScanned++;
      }
      if (at < 0) return null;
      const parts = [this.buf, ...this.pending.slice(0, at + 1)];
      const joined = Buffer.concat(parts);
      for (let i = 0; i <= at; i++) this.pendingLen -= this.pending[i].length;
      this.pending = this.pending.slice(at + 1);
      this.pendingScanned = 0;
      this.buf = joined;
      idx = joined.indexOf(LF, this.scanFrom);
    }
    let end = idx;
    if (end > 0 && this.buf[end - 1] === CR) end--;
    const line = this.buf.toString('utf8', 0, end);
    this.buf = this.buf.subarray(idx + 1);
    this.scanFrom = 0;
    if (this.buf.length === 0 && this.pending.length > 0) {
      // Keep the invariant that `buf` is the head: the next chunk becomes it without a copy.
      this.buf = this.pending.shift()!;
      this.pendingLen -= this.buf.length;
      this.pendingScanned = 0;
    }
    return line;
  }

  /** Bytes buffered past the last line handed out; empties the reader. */
  takeRest(): Buffer {
    const rest = this.pending.length === 0 ? this.buf : Buffer.concat([this.buf, ...this.pending]);
    this.buf = EMPTY;
    this.pending = [];
    this.pendingLen = 0;
    this.pendingScanned = 0;
    this.scanFrom = 0;
    return rest;
  }

  /** Number of bytes buffered (not yet returned as a line). */
  get buffered(): number {
    return this.buf.length + this.pendingLen;
  }
}
