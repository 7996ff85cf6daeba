// The parts of docs/performance.md that a run does not measure: what profiling the record path
// found and what was done about it, and what "all cores" can and cannot do on Node 20. They are
// written by hand from measurements made with bench/record-path.ts and `node --cpu-prof`, and
// kept here so that `npm run bench` rewrites the file with them in place.

export const RECORD_PATH = `## Record path

What one record costs, found with \`node --cpu-prof\` on a bulk transfer with both ends in one
process (\`node --cpu-prof dist/bench/record-path.js native AES 65536\`; stacks \`noble\`,
\`native\`, \`node:tls\`; suites \`AES\`, \`CHACHA\`; any write size). Shares are of the samples of
the whole process, both ends.

| where the time went, 64 KiB writes, AES-128-GCM | before | after |
| --- | ---: | ---: |
| native: \`Cipheriv.update\` (the AES-GCM work itself) | 24 % | 18 % |
| native: \`createCipheriv\`, one per record | 7.0 % | 7.9 % |
| native: Buffer copies and allocations (the sealed record copied into the output) | 5.1 % | none in the profile |
| native: garbage collection | 11 % | 7.7 % |
| native: socket writes (\`writeBuffer\`) | 8.1 % | 5.3 % |
| noble: GHASH | 35 % | 19 % |
| noble: AES block function and counter mode | 32 % | 27 % |
| noble: GHASH table and AES key schedule, rebuilt for every record | 2.6 % | 0.3 % (records before the key has carried 64 KiB) |
| noble: copies made by noble's GHASH and for alignment | 1.9 % | 0.2 % |
| noble: garbage collection | 4.5 % | 5.8 % |

One profile of a few seconds on a busy machine moves by a few points from run to run; the rows
that fell to nothing or nearly are the work the changes removed. GHASH's share fell by more than the table
it no longer rebuilds: noble's GHASH makes an array for every 16-byte block it multiplies, and
the kept state multiplies with noble's table in a loop of its own that makes none.

What was changed:

- **Keys once per epoch, not per record.** noble's one-shot \`gcm()\` expands the AES key,
  computes the hash subkey and builds the GHASH multiplication table on every call. The noble
  provider's AES-GCM now keeps them for the life of the key, once the key has carried 64 KiB
  (about 30 KiB of tables per direction: an idle connection, which has sealed a Finished and
  little else, does not pay for them). node:crypto cannot give a GCM cipher object a new nonce,
  so the native provider still makes one cipher object per record, but from a \`KeyObject\`
  imported once per epoch.
- **Sealing into the record.** \`Aead.sealInto\` writes ciphertext and tag straight into the
  output buffer after the record header (noble ChaCha20-Poly1305 and the kept AES-GCM state write
  there directly; node:crypto's output is copied once). \`Aead.openInto\` is there for callers
  that own a reusable buffer; the record layer opens with \`open()\`, because the plaintext goes up
  to the application, which may keep it: every provider allocates that one buffer and it is
  handed up as it is, without a copy.
- **No per-record waste around the cipher.** A record's header and fragment are cut from the
  input as one view of the received chunk; a burst of records (a flight, or small writes that
  arrived together and were coalesced into full records) goes to the socket corked, as one
  \`writev\`; no closure or array is made per write in the stream's write path.

Measured with \`bench/record-path.ts\` before and after, on a machine shared with other work.
Wall-clock rates moved by a factor of three between identical runs, so these figures are MiB
per CPU-second of the process (both ends), with warm-up and measurement counted in bytes.

On the socket path, both ends in one process, MiB per CPU-second (median of 4 runs, range in
brackets; node:tls in the same runs, alternating with the before and after builds; load average
12 to 18 on 2 cores; the noble rows are from a second series after the GHASH loop change):

| transfer | stack | node:tls | before | after | before ÷ node:tls | after ÷ node:tls |
| --- | --- | ---: | ---: | ---: | ---: | ---: |
| AES-128-GCM, 64 KiB writes | native | 240 (197–297) | 168 (142–185) | 193 (146–204) | 0.70× | 0.81× |
| AES-128-GCM, 1 KiB writes | native | 267 (200–315) | 149 (91–165) | 166 (153–179) | 0.56× | 0.62× |
| ChaCha20-Poly1305, 64 KiB writes | native | 231 (166–342) | 169 (120–208) | 182 (111–199) | 0.73× | 0.79× |
| AES-128-GCM, 64 KiB writes | noble | 211 (184–349) | 10.1 (8.9–12.3) | 14.9 (13.1–18.4) | 0.048× | 0.071× |
| AES-128-GCM, 1 KiB writes | noble | 198 (169–268) | 8.6 (6.5–11.5) | 11.8 (8.7–16.2) | 0.043× | 0.059× |
| ChaCha20-Poly1305, 64 KiB writes | noble | 231 (166–342) | 32.2 (26.9–41.6) | 30.1 (25.8–38.6) | 0.14× | 0.13× |

The record layer alone (\`CipherState\` sealing into a record and opening it, one thread, no
sockets), MiB per CPU-second, median of 5 rounds (range), and the factor in each separate run:

| records | before | after | after ÷ before, each run |
| --- | ---: | ---: | ---: |
| noble AES-128-GCM, 16 KiB | 12.3 (10.2–16.4) | 16.5 (15.0–20.0) | 1.34×, 1.13×, 1.52× |
| noble AES-128-GCM, 1 KiB | 4.5 (3.5–7.4) | 11.3 (6.5–13.5) | 2.51×, 2.30×, 2.63× |
| noble ChaCha20-Poly1305, 16 KiB | 27.5 (20.5–56.7) | 46.0 (23.4–56.9) | 1.67×, 1.52×, 1.15× |
| native AES-128-GCM, 16 KiB | 367 (246–573) | 538 (322–670) | 1.46×, 1.31× |
| native AES-128-GCM, 1 KiB | 63.5 (57.8–77.6) | 80.9 (68.1–92.7) | 1.28×, 0.99× |
| native ChaCha20-Poly1305, 16 KiB | 538 (385–615) | 641 (542–676) | 1.19×, 1.37× |

Where the ranges overlap (ChaCha20-Poly1305 on either provider, native AES-128-GCM with 1 KiB
records, the native rows on the socket path) these runs do not separate the change from the
noise of the machine; noble AES-GCM's gain stands clear of it.

The AEAD alone (the kept state, before its GHASH loop of its own, against noble's one-shot \`gcm()\`; \`sealInto\` against the
previous native seal), CPU time, 5 rounds each: noble AES-128-GCM 16 KiB records 31 → 44 MiB/s
(ranges 19–41 and 39–52), 1 KiB records 15 → 31 MiB/s (9–19 and 30–48); native AES-128-GCM
16 KiB 880 → 979 MiB/s, 1 KiB 151 → 162 MiB/s. The noble stack can therefore pass 1.0× its
bulk ceiling: the ceiling is noble's one-shot \`gcm()\`, which redoes the per-key work on every
record.

What remains, and why: on the native provider the record path spends most of its time in
node:crypto's JavaScript layer (one \`Cipheriv\` object per record, its stream machinery, the
buffers it returns) and in the garbage collection of them; node:tls seals in C with none of
that, which is the gap in the bulk ratios above. On noble, GHASH and the AES block function are
noble's code and all that is left.
`;

export const ALL_CORES = `## All cores

\`secure-duplex server --workers N\` runs the server in N processes on node:cluster (\`0\`: one per
core; docs/cli.md). node:cluster's primary accepts the TCP connections and hands them to the
workers in turn. The primary makes the session-ticket keys and gives them to every worker, so a
session resumed by ticket is accepted whichever worker gets the connection (spec/cli-workers:
\`openssl s_client -sess_in\` is "Reused" at the worker that did not issue the session). The
table "All cores" above has handshakes/s and bulk throughput with 1 and 2 workers.

DTLS is refused with \`--workers\`. A DTLS association lives in the worker that holds its keys,
so every datagram from one client must reach that worker. What Node 20 allows: a UDP socket
bound in cluster workers is one socket shared by all of them (the primary binds it and hands
the handle over), and each arriving datagram goes to whichever worker reads first; a worker may
instead bind with \`exclusive: true\`, but then no two workers can have the same port, because
Node 20's \`dgram\` has no \`reusePort\` (the kernel's per-4-tuple balancing, \`SO_REUSEPORT\`,
arrives in \`dgram.createSocket({ reusePort })\` in Node 22.12 and 23.1). Routing datagrams in the
primary to a worker chosen by the client's address would work on Node 20 but would put every
datagram through the primary and an IPC hop; that is not built, and not measured. So a DTLS
server runs in one process.
`;

export const MEMORY = `## What an idle connection holds

Server side, an established TLS connection that is not sending (the figures above; bytes of V8
heap, 64-bit Node 20, AES-128-GCM on the noble provider, found with heap snapshots of 300 idle
connections):

| what | bytes |
| --- | ---: |
| the \`SecureDuplex\` stream, its readable and writable state and its listeners | about 600 |
| the \`net.Socket\` under it, its state, listeners and TCP handle | about 840 |
| the engine, its record channel and record layer (input queue, output and event queues) | about 400 |
| each direction's record protection: the epoch and its sequence number, the fixed IV (three numbers), the AES key (as 32-bit numbers) | about 310 each |
| the session: one object, the master secret, randoms, verify_data, session ID and the client's signature schemes in one buffer (its bytes, about 200, are outside the heap), the SNI name | about 370 |

node:tls has the same \`net.Socket\` and stream state; its TLS state is in OpenSSL's memory,
outside the V8 heap, and its \`TLSSocket\` carries more properties of its own, a copy of its
options and a handshake timer. An idle connection of ours keeps nothing of its handshake: the
handshake object, its transcript and key exchange go when it completes, the handshake
reassembler is released with them (a renegotiation makes a new one), and the handshake timer is
cleared. It reads the server's options object (a connection that sets an option of its own,
with \`disableRenegotiation()\` or \`setServername()\`, gets a small layer over it), its
transport's listeners are functions shared by every connection, the lists it uses only while
something waits (held writes, callbacks of a renegotiation) exist only then, and the fields it
rarely sets are not properties until set. Expanded AES keys and GHASH tables (about 30 KiB per
direction) are built only for a key that has carried 64 KiB; an idle connection has none.

The heap figures also count the code V8's JIT compiles while the connections open: code of the
process, not of a connection, which keeps growing for the first thousand or so connections and
under load moves a 300-connection figure by about ±0.5 KiB. The benchmark opens 100 connections
before its first sample so that most of it falls before. \`spec/memory-per-connection\`
compares the heap of both providers with node:tls's, both servers running without the JIT (so
that only what connections retain is counted), and fails above node:tls's figure.
`;
