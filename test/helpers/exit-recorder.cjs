// Preloaded into a meshctl child (node --require) by tests whose child outlives its parent's view of it (a
// terminal that goes away under `script`): writes the process's exit code to $MESHCTL_TEST_EXIT_FILE. It only
// listens for 'exit', so it changes nothing in how the process ends (an uncaught exception still crashes it,
// and shows here as 1).
const { writeFileSync } = require('node:fs');
process.on('exit', (code) => {
  writeFileSync(process.env.MESHCTL_TEST_EXIT_FILE, String(code));
});
