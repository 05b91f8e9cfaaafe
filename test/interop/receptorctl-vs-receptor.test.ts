// Baseline: receptorctl 1.6.5 (CLI and Python API) against the real receptor 1.6.5 configured like the
// recording. Pins the recorded receptorctl outputs (test/fixtures/receptor/receptorctl-cli.json) to the installed
// peers; the same suite then runs against `meshctl node` (receptorctl-vs-meshctl-node.test.ts).
import { startReceptor } from '../helpers/receptor.js';
import { rawCommand } from './support/raw.js';
import { defineReceptorctlSuite } from './support/receptorctl-suite.js';
import { RECORDED_NODE_ID, RECORDED_WORK_COMMANDS } from './support/transcripts.js';

defineReceptorctlSuite('receptorctl vs receptor', async () => {
  const node = await startReceptor({ nodeId: RECORDED_NODE_ID, workCommands: RECORDED_WORK_COMMANDS });
  const { Version } = JSON.parse(await rawCommand(node.socketPath, '{"command":"status","requested_fields":["Version"]}')) as { Version: string };
  return { nodeId: node.nodeId, socketPath: node.socketPath, tcpPort: node.tcpPort, dir: node.dir, version: Version, stop: node.stop };
});
