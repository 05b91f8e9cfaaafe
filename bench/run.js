// `npm run bench [-- NAME...]`: runs the benchmarks, prints their figures and writes them to docs/performance.md.
// Each benchmark stops what it starts; cleanupAll() catches what a failure or Ctrl-C leaves behind.
import { cleanupAll, writeSection } from './lib.js';

const ALL = ['startup', 'node-startup', 'results', 'submit', 'memory', 'latency', 'capacity', 'load', 'mesh-status'];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : ALL;
for (const name of names) {
  if (!ALL.includes(name)) {
    console.error(`bench: unknown benchmark '${name}' (have: ${ALL.join(', ')})`);
    process.exit(2);
  }
}
const onSignal = async () => {
  await cleanupAll();
  process.exit(130);
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

let failed = 0;
try {
  for (const name of names) {
    const t0 = Date.now();
    console.error(`bench: ${name} ...`);
    try {
      const mod = await import(`./${name}.js`);
      const md = await mod.run();
      console.log(md + '\n');
      writeSection(name, md);
      console.error(`bench: ${name} took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    } catch (err) {
      failed++;
      console.error(`bench: ${name} failed: ${err instanceof Error ? err.stack : err}`);
      await cleanupAll();
    }
  }
} finally {
  await cleanupAll();
}
process.exitCode = failed ? 1 : 0;
