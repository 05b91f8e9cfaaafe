// The benchmarks `npm run bench` runs, in order (bench/NAME.js each). Adding a bench is adding its name here:
// bench/run.js and the smoke test (test/interop/bench-smoke.test.ts) take the list from this file.
// A bench exports `run({ smoke })` returning its markdown section, or `{ md, targets }` (docs/performance.md,
// "Summary"); it may export `uses`, the peers it compares against (receptor, receptorctl, socat).
export const BENCHES = ['startup', 'big-reply', 'results', 'submit', 'memory', 'latency', 'node-startup', 'units-scale', 'node-ingest', 'capacity', 'load', 'big-request', 'mesh-status', 'mesh-scale', 'mixed-mesh'];
