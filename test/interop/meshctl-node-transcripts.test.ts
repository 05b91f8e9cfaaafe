// `meshctl node`, started from the YAML the recording's receptor used, answers the recorded client sessions
// with the same bytes as receptor 1.6.5 (run-dependent values masked).
import { requirePeers, startMeshctlNode } from '../helpers/receptor.js';
import { defineTranscriptReplay } from './support/transcript-suite.js';
import { RECORDED_NODE_ID, RECORDED_WORK_COMMANDS } from './support/transcripts.js';

// Recordings the embedded node answers differently on purpose (listed in docs/compatibility.md): none.
const INTENDED_DIFFERENCES = {};

defineTranscriptReplay(
  'meshctl node transcripts',
  async () => {
    requirePeers();
    return startMeshctlNode({ nodeId: RECORDED_NODE_ID, workCommands: RECORDED_WORK_COMMANDS });
  },
  INTENDED_DIFFERENCES,
);
