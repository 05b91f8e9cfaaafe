// The bytes of `work results`, as an async iterable that counts what it delivered. It opens its session
// when iteration starts; breaking out of `for await` closes the connection.
import { Readable } from 'node:stream';

export class ResultsStream implements AsyncIterable<Buffer> {
  /** Bytes yielded so far (startPos + bytesRead = the offset to resume from). */
  bytesRead = 0;
  private started = false;

  constructor(
    readonly unitId: string,
    readonly startPos: number,
    private readonly source: () => AsyncGenerator<Buffer>,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    if (this.started) throw new Error('a ResultsStream can be iterated only once');
    this.started = true;
    for await (const chunk of this.source()) {
      this.bytesRead += chunk.length;
      yield chunk;
    }
  }

  /** The next offset to ask for when resuming. */
  get position(): number {
    return this.startPos + this.bytesRead;
  }

  /** A Node Readable over the same bytes (for `.pipe()` / `stream.pipeline`). */
  toReadable(): Readable {
    return Readable.from(this, { objectMode: false });
  }
}
