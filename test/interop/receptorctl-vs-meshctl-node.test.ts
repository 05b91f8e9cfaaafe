// Scenario 4: receptorctl (CLI, and the Python ReceptorControl API the way AWX uses it) against `meshctl node`
// started from the same YAML as the real receptor in receptorctl-vs-receptor.test.ts: the outcomes must be the
// ones recorded against receptor 1.6.5.
import { startMeshctlNode } from '../helpers/receptor.js';
import { rawCommand } from './support/raw.js';
import { defineReceptorctlSuite } from './support/receptorctl-suite.js';
import { RECORDED_NODE_ID, RECORDED_WORK_COMMANDS } from './support/transcripts.js';

defineReceptorctlSuite('receptorctl vs meshctl node', async () => {
  const node = await startMeshctlNode({ nodeId: RECORDED_NODE_ID, workCommands: RECORDED_WORK_COMMANDS });
  if (!node.process.spawnargs.some((a) => a.endsWith('meshctl.js'))) throw new Error('not a meshctl node');
  const { Version } = JSON.parse(await rawCommand(node.socketPath, '{"command":"status","requested_fields":["Version"]}')) as { Version: string };
  return { nodeId: node.nodeId, socketPath: node.socketPath, tcpPort: node.tcpPort, dir: node.dir, version: Version, stop: node.stop };
});
