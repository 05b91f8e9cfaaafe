// The node process keeps V8's young generation at its initial size.
//
// Why: a node streaming a 1 GiB payload allocates a 64 KiB socket read buffer per read (libuv → Node, not
// ours to reuse). Those buffers die young, but V8 frees their backing stores only when a scavenge finds
// them dead; by default the young generation grows to 2 × 16 MiB under a high allocation rate, scavenges
// become rare, and dead buffers pile up: the node's peak RSS rose from ~65 MiB idle to ~100 MiB
// (bench/memory.js, docs/performance.md). Growth factor 1 stops the growth: peak ~78 MiB for the same
// submit, ~5–10 % slower (more, smaller scavenges).
//
// How: `--semi-space-growth-factor` is read each time V8 would grow the young generation, so setting it
// at run time works (unlike `--max-semi-space-size`, which is fixed when the heap is set up). It must come
// before the command's modules load (loading them already grows the young generation: set in runNode it
// left the peak at ~96 MiB), so main() sets it as soon as it sees `meshctl node`. Only that process does
// this: the library (startNode) never changes its host's V8 flags, and client commands keep V8's default.
import v8 from 'node:v8';

export function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}
