// The port a peer process bound itself when started on port 0 (openssl s_server -accept
// 127.0.0.1:0 prints nothing with -brief; gnutls-serv -p 0 prints "port 0"): read from
// /proc/PID/fd (its socket inodes) and /proc/net/{tcp,udp} (IPv4 rows: inode, local port, state).
import * as fs from 'node:fs';

/** The IPv4 port on which `pid` has a LISTENing TCP socket (or a bound, unconnected UDP one),
 *  or undefined while it has none. */
export function ipv4ListeningPort(pid: number, proto: 'tcp' | 'udp'): number | undefined {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      /* closed meanwhile */
    }
  }
  const state = proto === 'tcp' ? '0A' : '07'; // TCP_LISTEN / unconnected UDP
  let text = '';
  try {
    text = fs.readFileSync(`/proc/net/${proto}`, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== state || !inodes.has(f[9]!)) continue;
    const local = f[1]!;
    return parseInt(local.slice(local.indexOf(':') + 1), 16);
  }
  return undefined;
}
