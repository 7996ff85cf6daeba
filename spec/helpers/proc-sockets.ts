// Sockets of a process, read from the kernel: /proc/PID/fd (the socket inodes a process owns)
// and /proc/net/{tcp,tcp6,udp,udp6} (their addresses and states). Linux only. The peers bind
// port 0 themselves and the harness reads the port they got here (listeningPort), and waits for
// a socket to listen (isListening) or connect (isConnected) without probing it.
import * as fs from 'node:fs';

/** Socket inodes owned by `pid` (from /proc/PID/fd), or null if the process is gone. */
function socketInodes(pid: number): Set<string> | null {
  try {
    const inodes = new Set<string>();
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        /* fd closed meanwhile */
      }
    }
    return inodes;
  } catch {
    return null;
  }
}

/** Does `pid` own a socket in /proc/net/{proto,proto6} for which `match(localPort, remotePort, state)` holds? */
function procSocket(pid: number, proto: 'tcp' | 'udp', match: (local: number, remote: number, state: string) => boolean): boolean {
  const tables = proto === 'tcp' ? ['/proc/net/tcp', '/proc/net/tcp6'] : ['/proc/net/udp', '/proc/net/udp6'];
  if (!fs.existsSync(tables[0]!)) return true; // no /proc/net: best effort, rely on timeouts
  const inodes = socketInodes(pid);
  if (!inodes) return false;
  for (const f of procNetRows(tables)) {
    if (f.length < 10 || !inodes.has(f[9]!)) continue;
    if (match(portOf(f[1]!), portOf(f[2]!), f[3]!)) return true;
  }
  return false;
}

/** The port of a /proc/net address ("0100007F:1F90"). */
const portOf = (addr: string): number => parseInt(addr.slice(addr.lastIndexOf(':') + 1), 16);

/** The rows of /proc/net tables (e.g. /proc/net/udp), split into fields; missing tables skipped. */
function* procNetRows(tables: readonly string[]): Generator<string[]> {
  for (const table of tables) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) yield line.trim().split(/\s+/);
  }
}

/**
 * True when process `pid` owns a socket on local port `port` that is LISTENing (tcp) or bound
 * and unconnected (udp), per /proc/net/{tcp,tcp6,udp,udp6} and /proc/PID/fd. Linux only; where
 * /proc/net is missing it returns true (then only the timeouts guard).
 */
export function isListening(pid: number, port: number, proto: 'tcp' | 'udp'): boolean {
  const want = proto === 'tcp' ? '0A' : '07'; // TCP_LISTEN / unconnected UDP
  return procSocket(pid, proto, (local, _remote, state) => local === port && state === want);
}

/** Datagrams the kernel dropped at the UDP socket bound to local port `port` (receive buffer
 *  full), from the `drops` column of /proc/net/{udp,udp6}; 0 where /proc/net is missing. */
export function udpDrops(port: number): number {
  let drops = 0;
  for (const f of procNetRows(['/proc/net/udp', '/proc/net/udp6'])) {
    if (f.length >= 13 && portOf(f[1]!) === port) drops += Number(f[12]);
  }
  return drops;
}

/** True when process `pid` owns a connected (ESTABLISHED) socket whose remote port is `port`. */
export function isConnected(pid: number, port: number, proto: 'tcp' | 'udp'): boolean {
  return procSocket(pid, proto, (_local, remote, state) => remote === port && state === '01');
}

/**
 * The local port of the IPv4 socket that process `pid` LISTENs on (tcp), or has bound and not
 * connected (udp); undefined while it has none. For a peer told to bind port 0: the kernel
 * picked the port, and this reads it back. IPv4 tables only: the peers are reached at 127.0.0.1
 * (gnutls-serv's IPv6 socket gets a port of its own). Where /proc/net is missing: undefined.
 */
export function listeningPort(pid: number, proto: 'tcp' | 'udp'): number | undefined {
  const want = proto === 'tcp' ? '0A' : '07'; // TCP_LISTEN / unconnected UDP
  const inodes = socketInodes(pid);
  if (!inodes) return undefined;
  for (const f of procNetRows([proto === 'tcp' ? '/proc/net/tcp' : '/proc/net/udp'])) {
    if (f.length >= 10 && inodes.has(f[9]!) && f[3] === want) return portOf(f[1]!);
  }
  return undefined;
}
