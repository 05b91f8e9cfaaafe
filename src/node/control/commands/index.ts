// The control commands a node answers (Receptor registers ping, status, connect, traceroute, reload in
// controlsvc.New and `work` from workceptor). Names are matched exactly (text commands are lower-cased
// before the lookup).
import type { CommandHandler } from '../session.js';
import { connectCommand } from './connect.js';
import { pingCommand, tracerouteCommand } from './ping.js';
import { reloadCommand } from './reload.js';
import { statusCommand } from './status.js';
import { workCommand } from './work.js';

export function standardCommands(): Map<string, CommandHandler> {
  return new Map<string, CommandHandler>([
    ['ping', pingCommand],
    ['status', statusCommand],
    ['connect', connectCommand],
    ['traceroute', tracerouteCommand],
    ['reload', reloadCommand],
    ['work', workCommand],
  ]);
}
