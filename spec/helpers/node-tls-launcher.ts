// Starts spec/helpers/node-tls-peer.ts (a node:tls peer) in a child process of its own, and reads
// its JSON event lines.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPeer, type PeerMark, type PeerProcess } from './peer-process.js';
import { EVENT_WAIT_MS } from './within.js';

interface NodeTlsPeerCommon {
  /** -> tls options `ciphers` */
  ciphers?: string;
  /** Write TLS secrets here (NSS key log format). */
  keylog?: string;
}

export interface NodeTlsServerArgs extends NodeTlsPeerCommon {
  mode: 'server-echo' | 'server-sink-source';
  cert: string;
  key: string;
  /** 0 or absent: an ephemeral port, reported in the ready line. */
  port?: number;
  /** Client certificate trust anchors; with requestCert, verified (rejectUnauthorized). */
  ca?: string;
  requestCert?: boolean;
  /** Exit after this many connections have closed (default 1). */
  connections?: number;
  /** sink-source: bytes to receive before reporting (event "received"). */
  readBytes?: number;
  /** sink-source: bytes of randomBytesSeeded(seed, writeBytes) to send. */
  writeBytes?: number;
  seed?: number;
}

export interface NodeTlsClientArgs extends NodeTlsPeerCommon {
  mode: 'client-sink-source';
  port: number;
  /** Trust anchors; without ca the client does not verify (rejectUnauthorized false). */
  ca?: string;
  servername?: string;
  readBytes?: number;
  writeBytes?: number;
  seed?: number;
}

export type NodeTlsPeerArgs = NodeTlsServerArgs | NodeTlsClientArgs;

/** One JSON line printed by node-tls-peer. */
export interface NodeTlsPeerEvent {
  event: string;
  [k: string]: unknown;
}

export interface NodeTlsPeer extends PeerProcess {
  /** Server: the listening port. Client: the port it connects to. */
  readonly port: number;
  /** All JSON event lines printed so far. */
  events(): NodeTlsPeerEvent[];
  /** Resolves with the first event named `name` printed after `since` (default: any). */
  waitEvent(name: string, timeoutMs?: number, since?: PeerMark): Promise<NodeTlsPeerEvent>;
}

/** Path of the compiled child script (dist/spec/helpers/node-tls-peer.js). */
export const NODE_TLS_PEER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node-tls-peer.js');

/**
 * Runs spec/helpers/node-tls-peer.js with process.execPath and the JSON args; resolves on its
 * ready line ({"event":"ready","port":N}). Write "renegotiate\n" / "end\n" to its stdin to
 * renegotiate / end all its connections (see node-tls-peer.ts).
 */
export async function nodeTlsPeer(args: NodeTlsPeerArgs, readyTimeoutMs = EVENT_WAIT_MS): Promise<NodeTlsPeer> {
  const p = await startPeer(process.execPath, [NODE_TLS_PEER_SCRIPT, JSON.stringify(args)], {
    ready: /^\{"event":"ready".*\}$/m,
    readyTimeoutMs,
  });
  const events = (): NodeTlsPeerEvent[] => {
    const lines = p.stdout().split('\n');
    lines.pop(); // an unfinished line
    const out: NodeTlsPeerEvent[] = [];
    for (const l of lines) {
      try {
        if (l.startsWith('{')) out.push(JSON.parse(l) as NodeTlsPeerEvent);
      } catch {
        /* not an event line */
      }
    }
    return out;
  };
  const port = Number(events().find((e) => e.event === 'ready')?.['port']);
  const extra = {
    port,
    events,
    async waitEvent(name: string, timeoutMs = EVENT_WAIT_MS, since?: PeerMark): Promise<NodeTlsPeerEvent> {
      const line = await p.waitFor(new RegExp(`^\\{"event":"${name}".*\\}$`, 'm'), timeoutMs, since);
      return JSON.parse(line) as NodeTlsPeerEvent;
    },
  };
  return Object.assign(p, extra);
}
