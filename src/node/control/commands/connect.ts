// `connect <node> <service> [<tls-client>]` (pkg/controlsvc/connect.go): a mesh stream to the service on
// any reachable node (`localhost` = this one), TLS inside it when a tls-client is named; after
// `Connecting\n` the control connection becomes a byte bridge to it. `connect executor control` opens a
// control session on the executor, which greets again (how `meshctl work list --node executor` works).
// Unlike Receptor (which closes both ends when one side stops, pkg/utils/bridge.go), a client's
// half-close reaches the service as end-of-input, so the service can still answer a last command before
// the connection closes.
import type { Duplex } from 'node:stream';
import { CommandError } from '../../work/workceptor.js';
import type { CommandHandler } from '../session.js';

export const connectCommand: CommandHandler = async ({ params, json }, session) => {
  let node: string;
  let service: string;
  let tlsName = '';
  if (json === null) {
    const tokens = params.split(' ');
    if (tokens.length < 2) throw new CommandError('no connect target');
    if (tokens.length > 3) throw new CommandError('too many parameters');
    node = tokens[0]!;
    service = tokens[1]!;
    tlsName = tokens[2] ?? '';
  } else {
    const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(json, k);
    if (!has('node')) throw new CommandError('no connect target node');
    if (typeof json.node !== 'string') throw new CommandError('connect target node must be string');
    if (!has('service')) throw new CommandError('no connect target service');
    if (typeof json.service !== 'string') throw new CommandError('connect target service must be string');
    if (has('tls')) {
      if (typeof json.tls !== 'string') throw new CommandError('connect tls name must be string');
      tlsName = json.tls;
    }
    node = json.node;
    service = json.service;
  }
  const near = await session.node.dial(node, service, tlsName, session.signal);
  try {
    await session.write('Connecting\n');
  } catch (err) {
    near.destroy();
    throw err;
  }
  session.finished = true;
  await bridge(session, near);
  return null;
};

async function bridge(session: Parameters<CommandHandler>[1], near: Duplex): Promise<void> {
  // service → client
  const toClient = new Promise<void>((resolve) => {
    near.on('data', (chunk: Buffer) => {
      session.write(chunk).catch(() => near.destroy());
      if (session.stream.writableNeedDrain) {
        near.pause();
        session.stream.once('drain', () => near.resume());
      }
    });
    near.once('end', resolve);
    near.once('close', resolve);
    // A stream reset (a link on the path went away) ends the bridge like an EOF.
    near.on('error', () => resolve());
  });
  // client → service (bytes already read past the connect line come first)
  const toService = (async () => {
    try {
      for (;;) {
        const chunk = await session.reader.read();
        if (chunk === null) break;
        if (!near.write(chunk)) {
          await new Promise<void>((resolve) => {
            near.once('drain', resolve);
            near.once('close', resolve);
          });
        }
        if (near.destroyed) return;
      }
      near.end();
    } catch {
      near.destroy();
    }
  })();
  session.signal.addEventListener('abort', () => near.destroy(), { once: true });
  await toClient;
  near.destroy();
  await Promise.race([toService, Promise.resolve()]);
}
