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
  there directly; node:crypto's output is copied once, for records under 4 KiB: larger ones go
  out as node:crypto made them, see below). \`Aead.openInto\` is there for callers
  that own a reusable buffer; the record layer opens with \`open()\`, because the plaintext goes up
  to the application, which may keep it: every provider allocates that one buffer and it is
  handed up as it is, without a copy.
- **No per-record waste around the cipher.** A record's header and fragment are cut from the
  input as one view of the received chunk (a protected record that spans two chunks is gathered
  in one scratch buffer shared by every connection, not a new one); a burst of records (a
  flight, or small writes sealed together) goes to the socket corked, as one \`writev\`.

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

### Small writes, node:crypto's buffers and ChaCha20-Poly1305

Profiled the same way before and after the changes below (shares of the samples of both ends;
the second half of each profile, after warm-up; idle time and V8's \`(program)\` left out;
mean of two profiles; \`record-path.js\` with 64 KiB and 1 KiB writes):

| where the time went | native AES-128-GCM 64 KiB: before | after | native 1 KiB: before | after | noble ChaCha20-Poly1305 64 KiB: before | after | noble 1 KiB: before | after |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| sealing and opening (the AEAD and its calls, whole) | 57 % | 62 % | 44 % | 49 % | 84 % | 86 % | 72 % | 78 % |
| of which node:crypto's \`update()\` | 32 % | 39 % | 22 % | 31 % | | | | |
| of which node:crypto's cipher object per record, \`setAAD\`, \`final\`, tags | 25 % | 23 % | 22 % | 18 % | | | | |
| socket writes (system calls) | 7.4 % | 9.2 % | 21 % | 15 % | 4.0 % | 3.0 % | 5.9 % | 4.1 % |
| garbage collection | 15 % | 15 % | 8.9 % | 8.0 % | 1.4 % | 0.7 % | 3.7 % | 2.5 % |
| copies and allocations outside the AEAD (output buffers, records across chunks, joined writes) | 7.9 % | 1.2 % | 8.0 % | 1.8 % | 2.9 % | 1.7 % | 6.6 % | 3.6 % |
| streams, events, record parsing (the rest) | 13 % | 13 % | 19 % | 26 % | 8.0 % | 8.4 % | 12 % | 12 % |

Counted, not timed (the same transfers, per MiB): with 1 KiB writes the receiving end opened
128 records before and 64 after, and the sending end made 161 socket writes before and 81 after
(one 16 KiB record per burst of writes, where a burst went out as a 1 KiB and a 15 KiB record);
with 64 KiB writes, 64 records and 19 socket writes both times.

What was changed:

- **Small writes go out as full records.** A write smaller than a record (16 KiB) waits for the
  end of the current tick; the writes made meanwhile are handed over together and sealed with
  it, so a burst of 1 KiB writes becomes 16 KiB records: one AEAD call, one cipher object and one
  socket write per 16 KiB instead of per write. A lone write still goes out at the end of its
  tick; the last write of a burst completes when the socket has taken it, so \`write()\` turns
  false at the same 16 KiB mark as before and a transport that does not keep up is still
  backpressure (spec/record-path.spec.ts). The burst is joined in one scratch buffer shared by
  every connection (the engine seals it before \`write()\` returns).
- **node:crypto's ciphertext goes out as it comes.** \`update()\` returns the ciphertext in a
  buffer of its own (Node 20 has no update-into). Records of 4 KiB or more are sent as pieces,
  corked into one \`writev\`: the record's header and explicit nonce, the ciphertext, then its
  tag with the next record's header, instead of being copied into one output buffer (an
  allocation and a copy of every byte less per write). The pieces are byte for byte the records
  sealed into one buffer (spec/record-path.spec.ts).
- **Records across socket chunks** are gathered in one scratch buffer for the process, not a new
  buffer each (every provider's \`open()\` returns a buffer of its own, so the scratch is free
  again when the record is opened).
- **ChaCha20-Poly1305 on noble** is composed from noble's ChaCha20 and Poly1305
  (lib/crypto/noble-chacha20-poly1305.ts). noble's one-shot \`chacha20poly1305\` XORs the
  keystream a byte at a time whenever its output is not 4-byte aligned, which a fragment 5
  bytes into a record never is, and its Poly1305 copies the whole ciphertext before reading it;
  the composition XORs in an aligned scratch, 32 bits at a time, and reads the ciphertext where
  it lies. The AEAD alone, 16 KiB records, CPU time, median of 11 rounds: sealing into a record
  120 → 156 MiB/s (noble's one-shot into a fresh, aligned buffer, the ceiling's case: 141),
  opening 144 → 148 MiB/s.

Measured with \`bench/record-path.ts\`, MiB per CPU-second, on a machine whose load average was
6 to 9 on its 2 cores during the runs: rounds alternate node:tls (or, for noble, its AEAD
ceiling measured the same way), the build before and the build after; the ratio is taken in
each round, and the table gives the median over the rounds with the middle half of them in
brackets:

| transfer | stack | rounds | before ÷ reference | after ÷ reference | after ÷ before |
| --- | --- | ---: | ---: | ---: | ---: |
| AES-128-GCM, 64 KiB writes, ÷ node:tls | native | 16 | 0.68× (0.56–0.91) | 0.73× (0.58–0.94) | 1.09× (0.85–1.25) |
| AES-128-GCM, 1 KiB writes, ÷ node:tls | native | 16 | 0.61× (0.47–0.78) | 0.67× (0.51–0.84) | 1.07× (0.86–1.60), 25 rounds |
| ChaCha20-Poly1305, 64 KiB writes, ÷ AEAD ceiling | noble | 9 | 0.82× (0.80–0.88) | 0.85× (0.81–0.93) | 1.06× (1.00–1.21) |
| ChaCha20-Poly1305, 1 KiB writes, ÷ AEAD ceiling | noble | 9 | 0.64× (0.60–0.71) | 0.66× (0.61–0.70) | 1.00× (0.95–1.11) |

On this machine the native rows moved by a factor of two from one round to the next (single
series gave anything from 1.0× to 1.9× for the 1 KiB after ÷ before), so only the counts above
and the profile shares are firm; the official figures are those of \`npm run bench\` on a quiet
machine, at the top of this file.

What remains, and why:

- **native, 64 KiB writes (target 1.0× node:tls).** Sealing and opening are about 60 % of the
  samples, and nearly all of that is node:crypto itself: a \`Cipheriv\` or \`Decipheriv\` per
  record (node:crypto cannot give a GCM or ChaCha20-Poly1305 cipher object a new nonce) and the
  new buffer \`update()\` returns each way. Measured alone with exactly the calls the record layer
  makes, a 16 KiB record costs about 13.5 µs of CPU to seal and 14.3 µs to open; node:tls, which
  seals in C into its own buffers, carried a 16 KiB record through both ends, sockets included,
  in 23 µs in the quiet run above (679 MiB/s). With node:crypto's API the AEAD calls alone cost
  more than node:tls's whole record, so even with nothing else in the path this provider stays
  near 0.8× node:tls; 1.0× would need sealing in C (a native addon) or a cipher object that
  takes a new nonce. Socket writes (about 9 %) and garbage collection (about 15 %) are the
  other large shares.
- **native, 1 KiB writes (target 0.8×).** A burst of small writes is now sealed as full
  records, which halves the records and the socket writes; each record still costs what it
  costs with 64 KiB writes (above), and each 1 KiB write adds the stream's own bookkeeping
  (\`Writable\`'s, the same in node:tls).
- **noble ChaCha20-Poly1305 (target 0.9× the AEAD ceiling).** With 64 KiB writes 86 % of the
  samples are sealing and opening, nearly all of it noble's ChaCha20 block function and Poly1305
  block function; what is outside them (socket writes 3 %, streams and events 8 %) is what keeps
  the ratio below 0.9× in this process, which runs both ends of the connection. With 1 KiB
  writes records were already mostly full (a burst went out as 1 KiB and 15 KiB records before);
  the per-write stream bookkeeping of 16 writes per record is the difference from 64 KiB writes.
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
