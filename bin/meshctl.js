#!/usr/bin/env node
// CommonJS on purpose (bin/package.json): an ES-module entry costs Node ~14 ms of start-up before any code runs.
'use strict';
// --debug prints stack traces; with source maps they name src/*.ts lines instead of the bundle's. Node reads a
// file's map (dist/cli-bundle/main.cjs.map) when it compiles the file, so it must be switched on before the require,
// and only then: parsing the map costs ~9 ms (`status` 98.5 → 106.1 ms), which a run without --debug never pays.
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
const { main } = require('../dist/cli-bundle/main.cjs');
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
