// From the typed Receptor configuration (src/config) to running backends: the thin layer the node uses
// to start `tcp-listener`, `tcp-peer`, `ws-listener`, `ws-peer`, `udp-listener` and `udp-peer` entries.
// TLS entries are looked up by name through the caller (the node owns tls-server / tls-client
// preparation); an unknown name fails with Receptor's text `unknown TLS config NAME`.
import type { MeshConfig } from '../../config/types.js';
import { MeshctlError } from '../../errors.js';
import type { ListenerHandle, Mesh, PeerHandle } from './mesh.js';
import type { LinkClientTls, LinkServerTls } from './transport/tcp.js';

export interface MeshTlsResolver {
  /** The prepared tls-server entry `name`, or undefined if there is none. */
  server(name: string): LinkServerTls | undefined;
  /**
   * The prepared tls-client entry `name` for dialling `host` (Receptor checks the server certificate
   * against the host of the address), or undefined if there is none.
   */
  client(name: string, host: string): LinkClientTls | undefined;
}

export interface StartedBackends {
  listeners: ListenerHandle[];
  peers: PeerHandle[];
}

function unknownTls(section: string, name: string): MeshctlError {
  return new MeshctlError('EBADCONFIG', `${section}: unknown TLS config ${name}`, { hint: `add a tls-server / tls-client entry named ${name}` });
}

/** Starts every mesh backend of `config` on `mesh`, in config order. Closes what it started on failure. */
export async function startBackends(mesh: Mesh, config: MeshConfig, tls: MeshTlsResolver): Promise<StartedBackends> {
  const started: StartedBackends = { listeners: [], peers: [] };
  const serverTls = (section: string, name: string): LinkServerTls | undefined => {
    if (name === '') return undefined;
    const t = tls.server(name);
    if (!t) throw unknownTls(section, name);
    return t;
  };
  const clientTls = (section: string, name: string, host: string): LinkClientTls | undefined => {
    if (name === '') return undefined;
    const t = tls.client(name, host);
    if (!t) throw unknownTls(section, name);
    return t;
  };
  try {
    for (const l of config.tcpListeners) {
      const t = serverTls('tcp-listener', l.tls);
      started.listeners.push(
        await mesh.addTcpListener({
          bindaddr: l.bindaddr,
          port: l.port,
          cost: l.cost,
          ...(l.nodecost ? { nodecost: l.nodecost } : {}),
          ...(l.allowedpeers ? { allowedpeers: l.allowedpeers } : {}),
          ...(t ? { tls: t } : {}),
        }),
      );
    }
    for (const l of config.wsListeners) {
      const t = serverTls('ws-listener', l.tls);
      started.listeners.push(
        await mesh.addWsListener({
          bindaddr: l.bindaddr,
          port: l.port,
          path: l.path,
          cost: l.cost,
          ...(l.nodecost ? { nodecost: l.nodecost } : {}),
          ...(l.allowedpeers ? { allowedpeers: l.allowedpeers } : {}),
          ...(t ? { tls: t } : {}),
        }),
      );
    }
    // pkg/backends/udp.go UDPListenerCfg: no tls key (receptor's GetTLS returns "").
    for (const l of config.udpListeners ?? []) {
      started.listeners.push(
        await mesh.addUdpListener({
          bindaddr: l.bindaddr,
          port: l.port,
          cost: l.cost,
          ...(l.nodecost ? { nodecost: l.nodecost } : {}),
          ...(l.allowedpeers ? { allowedpeers: l.allowedpeers } : {}),
        }),
      );
    }
    for (const p of config.tcpPeers) {
      const host = p.address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
      const t = clientTls('tcp-peer', p.tls, host);
      started.peers.push(
        mesh.addTcpPeer({
          address: p.address,
          redial: p.redial,
          cost: p.cost,
          ...(p.allowedpeers ? { allowedpeers: p.allowedpeers } : {}),
          ...(t ? { tls: t } : {}),
        }),
      );
    }
    for (const p of config.wsPeers) {
      let host = '';
      try {
        host = new URL(p.address).hostname.replace(/^\[(.*)\]$/, '$1');
      } catch {
        // addWsPeer reports the bad URL.
      }
      const t = clientTls('ws-peer', p.tls, host);
      started.peers.push(
        mesh.addWsPeer({
          address: p.address,
          redial: p.redial,
          cost: p.cost,
          ...(p.extraheader ? { extraheader: p.extraheader } : {}),
          ...(p.allowedpeers ? { allowedpeers: p.allowedpeers } : {}),
          ...(t ? { tls: t } : {}),
        }),
      );
    }
    for (const p of config.udpPeers ?? []) {
      started.peers.push(
        mesh.addUdpPeer({
          address: p.address,
          redial: p.redial,
          cost: p.cost,
          ...(p.allowedpeers ? { allowedpeers: p.allowedpeers } : {}),
        }),
      );
    }
  } catch (err) {
    await Promise.all([...started.listeners.map((l) => l.close()), ...started.peers.map((p) => p.close())]);
    throw err;
  }
  return started;
}
