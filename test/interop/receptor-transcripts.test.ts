// The recorded transcripts (test/fixtures/receptor, made by record_transcripts.py) still describe the
// installed receptor. A failure here means the fixtures the client and the embedded node are written against
// are stale: re-record them.
import { requirePeers, startReceptor } from '../helpers/receptor.js';
import { defineTranscriptReplay } from './support/transcript-suite.js';
import { RECORDED_NODE_ID, RECORDED_WORK_COMMANDS } from './support/transcripts.js';

defineTranscriptReplay('receptor transcripts', async () => {
  requirePeers();
  return startReceptor({ nodeId: RECORDED_NODE_ID, workCommands: RECORDED_WORK_COMMANDS });
});
