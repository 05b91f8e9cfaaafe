// The bytes of `work results`, as an async iterable that counts what it delivered. It opens its session
// when iteration starts; breaking out of `for await` closes the connection.
import { Readable } from 'node:stream';
import type { ChunkSink } from '../transport/conn.js';

export class ResultsStream implements AsyncIterable<Buffer> {
  /** Bytes yielded so far (startPos + bytesRead = the offset to resume from). */
  bytesRead = 0;
  private started = false;

  constructor(
    readonly unitId: string,
    readonly startPos: number,
    /** Yields the chunks; given a sink, hands them to it instead and yields nothing. */
    private readonly source: (sink?: ChunkSink) => AsyncGenerator<Buffer>,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    this.start();
    for await (const chunk of this.source()) {
      this.bytesRead += chunk.length;
      yield chunk;
    }
  }

  /**
   * The same bytes pushed to `sink`, with no async-iterator step per chunk (the CLI's path to stdout). A chunk may
   * be a view of the connection's reused read buffer: it is valid until `sink` returns or, if `sink` returns a
   * promise, until that settles (reading waits for it: backpressure). Resolves at end of stream. Counted as for
   * iteration: a chunk counts as delivered once handed to `sink`.
   */
  async pipeTo(sink: ChunkSink): Promise<void> {
    this.start();
    const counted: ChunkSink = (chunk) => {
      this.bytesRead += chunk.length;
      return sink(chunk);
    };
    const g = this.source(counted);
    // A source that ignores the sink yields instead.
    for (let r = await g.next(); !r.done; r = await g.next()) await counted(r.value);
  }

  private start(): void {
    if (this.started) throw new Error('a ResultsStream can be iterated only once');
    this.started = true;
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
