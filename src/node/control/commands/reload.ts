// `reload` (pkg/controlsvc/reload.go): re-reads the configuration file. The reply is JSON either way:
// {"Success":true} or {"Error":"<message> ERRORCODE <n>","Success":false} — 4 for a file that cannot be
// read or parsed (or a node started without a file), 3 when a section that needs a restart changed.
import type { CommandHandler } from '../session.js';

export const reloadCommand: CommandHandler = async (_req, session) => {
  session.node.logger.debug('Reloading');
  const outcome = await session.node.reload();
  if (outcome.ok) return { Success: true };
  session.node.logger.warning(`Reload not successful: ${outcome.error ?? ''}`);
  return { Success: false, Error: outcome.error ?? 'reload failed' };
};
