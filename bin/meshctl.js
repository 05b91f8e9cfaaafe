#!/usr/bin/env node
// CommonJS on purpose (bin/package.json): an ES-module entry costs Node ~14 ms of start-up before any code runs.
'use strict';
const { main } = require('../dist/cli-bundle/main.cjs');
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
