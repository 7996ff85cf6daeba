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
that went to zero are the ones the changes removed. GHASH's share fell by more than the table
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

Measured with \`bench/record-path.ts\` before and after, alternating, node:tls in the same run,
on a machine shared with other work (load average 9 to 12 on 2 cores). Wall-clock rates moved by
a factor of three between identical runs, so the table gives MiB per CPU-second of the process
(both ends), median of the runs, with the range:

RECORD_PATH_TABLE

The AEAD alone (the kept state against noble's one-shot \`gcm()\`; \`sealInto\` against the
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
datagram through the primary and an IPC hop, which costs more than a second core gives. So a
DTLS server runs in one process.
`;
