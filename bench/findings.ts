// The parts of docs/performance.md that a run does not measure: what profiling the record path
// and the handshake path found and what was done about it, and what "all cores" can do on Node 20
// and on 22.12+. They are written by hand from measurements made with bench/record-path.ts,
// bench/handshake-path.ts and `node --cpu-prof`, and kept here so that `npm run bench` rewrites
// the file with them in place.

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

export const HANDSHAKE_PATH = `## Handshake path

What a handshake costs besides its public-key operations, found with \`node --cpu-prof\` on
handshakes back to back with both ends in one process
(\`node --cpu-prof dist/bench/handshake-path.js native full ecdsa X25519 600\`; stacks \`noble\`,
\`native\`, \`node:tls\`; kinds \`full\`, \`ticket\` and \`id\` (resumed by ticket or by session ID),
\`psk\`, \`reneg\` (renegotiations of one idle connection); certificate \`ecdsa\` or \`rsa\`; group
\`X25519\` or \`P-256\`). It prints handshakes per second of wall time and per CPU-second of the
process, the median time of one, and how many stalled for 30 ms or more. Shares are of the
process's samples, start-up and idle time left out.

| where the time went, nodeCryptoProvider, ECDSA P-256 and X25519 | full: before | after | resumed by ticket: before | after | renegotiation: before | after |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
| certificates: X509Certificate parses, trust store, path validation, host name | 22 % | 4.1 % | 35 % | 6.2 % | 22 % | 3.4 % |
| X25519 key import and export (node:crypto key objects) | 20 % | 5.8 % | — | — | 26 % | 7.4 % |
| public-key operations (ECDSA sign and verify, X25519) | 11 % | 13 % | — | — | 13 % | 18 % |
| random bytes | 0.9 % | 0.2 % | 2.1 % | 0.2 % | 0.8 % | 0.1 % |
| sockets: connect, writes, close | 10 % | 21 % | 17 % | 27 % | 2.9 % | 5.9 % |
| record AEAD, HMAC and PRF, transcript hashes (node:crypto objects) | 5.4 % | 11 % | 7.9 % | 16 % | 7.8 % | 18 % |
| garbage collection | 7.6 % | 6.4 % | 8.9 % | 12 % | 7.3 % | 12 % |
| the engine, handshake messages, connection set-up, streams and events | 24 % | 39 % | 29 % | 39 % | 21 % | 35 % |

The rows that grew are the work that stayed while the rest shrank.

What was changed:

- **Certificates parsed once, kept by their bytes.** A client parsed the server's certificate
  with node:crypto's X509Certificate three times per handshake (path validation, host name,
  ServerKeyExchange key), rebuilt its trust store from \`ca\` on every \`connect()\`, and each
  X509Certificate parse costs more than an ECDSA verification. What is read from a certificate
  (the X509Certificate, its public key, the RFC 5280 facts, the names the host-name check
  reads) is now kept by its exact bytes, at most 256 certificates, least recently used first
  out; a trust store is found again by the contents of \`ca\`. Only parses are kept: every
  handshake still validates the whole path (signatures, dates, purposes, name constraints,
  revocation) and checks the host name and the handshake's own signatures
  (spec/x509.spec.ts: the verdict follows the clock and a tampered signature).
- **X25519 keys through JWK.** nodeCryptoProvider imported each ephemeral X25519 key as
  PKCS #8 and each peer value as SPKI DER, which OpenSSL 3 reads through its generic decoders:
  ~400 µs a key share. node:crypto imports a JWK key from its raw bytes: ~50 µs, about what
  generating a key pair costs.
- **Random bytes in blocks.** One \`randomFillSync\` costs about 12 µs under OpenSSL 3 whatever
  its size, and a handshake draws several times (randoms, ECDHE secrets, session IDs, ticket
  IVs). The default random source cuts small draws from a 4 KiB block and zeroes what it
  hands out.
- **No object spreads on the handshake path.** In Node 20, \`{ ...a, b: 1 }\` where \`b\` is a
  new property makes V8 build new hidden classes on every call: the HandshakeResult of each
  side (a spread of 12 fields followed by 13 more) cost ~90 µs. Results and states are built
  as one literal.
- **Per-connection set-up.** A client's \`connect()\` no longer re-expands the same \`ciphers\`
  string, \`destroy()\` makes no Error unless a renegotiation waits for one, and a server counts
  its peer's renegotiations without copying the list of their times each time.

What was checked and is as it should be: a flight goes to the socket as one write (one
\`writev\` when corked: four writes per renegotiation, as node:tls, seen with \`strace\`); no
timer, \`setImmediate\` or promise per handshake message; nodeCryptoProvider runs the PRF,
HMAC and transcript hashes on node:crypto; a server builds its context once.

Handshakes per CPU-second of the process (both ends), median of 5 rounds, each round running
the build before the changes, the build after them and node:tls one after the other
(300 handshakes each, as many again first as warm-up), on a machine shared with other work;
the ratios are the medians of each round's ratio. The default provider's ceiling is noble's
public-key operations for one full handshake (as \`bench/primitives.ts\` calls them), timed in
CPU time in the same rounds:

| nodeCryptoProvider | before | after | node:tls | before ÷ node:tls | after ÷ node:tls |
| --- | ---: | ---: | ---: | ---: | ---: |
| full, ECDSA P-256 certificate, X25519 | 127 | 255 | 297 | 0.43× | 0.83× |
| full, ECDSA P-256 certificate, P-256 | 163 | 259 | 263 | 0.60× | 0.98× |
| full, RSA-2048 certificate, X25519 | 119 | 206 | 227 | 0.44× | 0.98× |
| full, RSA-2048 certificate, P-256 | 152 | 242 | 224 | 0.64× | 0.97× |
| resumed by ticket | 199 | 325 | 356 | 0.59× | 0.97× |
| resumed by session ID | 203 | 378 | 381 | 0.55× | 1.06× |
| PSK (PSK-AES128-GCM-SHA256) | 305 | 369 | 400 | 0.76× | 0.98× |
| idle renegotiation, client-initiated (renegotiations per CPU-second) | 143 | 457 | 628 | 0.23× | 0.75× |

| default provider (noble) | before | after | ceiling | before ÷ ceiling | after ÷ ceiling |
| --- | ---: | ---: | ---: | ---: | ---: |
| full, ECDSA P-256 certificate, X25519 | 65 | 84 | 165 | 0.39× | 0.51× |

An idle renegotiation's latency is the inverse of its rate: 0.75× node:tls's rate in CPU time
is 1.33× its latency. Wall-clock rates on this machine moved too much to add to these (the
process ran on a share of a CPU that changed from run to run).

The same in one \`npm run bench -- --quick\` of each build, one after the other (load average
about 7.5 on 2 cores; × node:tls in the same run, wall clock, so rougher): nodeCryptoProvider's
full handshakes 0.44×–0.55× before, 0.97×–1.21× after; resumed 0.40× before, 0.85× after; PSK
0.74× before, 0.99× after; idle renegotiations 0.27× before, 0.76× after (1.32× node:tls's
latency). The default provider's figures in those runs moved too much with the load to mean
anything.

The ceiling for the default provider counts what a full ECDHE-ECDSA handshake cannot avoid:
two key exchanges (a key pair and a shared secret each), one signature and one verification
(a self-signed certificate that the client trusts is a trust anchor: its own signature is not
checked, as in OpenSSL). That is right. The node:crypto X25519 primitive exported each public
key as SPKI DER, which timed OpenSSL's encoder (~80 µs) as X25519; it now exports the raw
value, as a key share sends it.

What remains, and why:

- nodeCryptoProvider: node:tls runs the record protection, the PRF and the transcript in C
  with one cipher context per key; through node:crypto each record needs its own \`Cipheriv\`
  (AES-GCM takes no new nonce), each PRF block two \`Hmac\` objects and each transcript digest
  a \`Hash\`, with their JavaScript wrappers and their garbage. Those, the engine's own work on each
  message, and the stream and socket machinery that node:tls also has, are what separates the
  ratios from 1.0.
- The default provider: noble's own public-key operations take 56 % of a full handshake's
  CPU after the changes (45 % before), garbage collection (mostly of noble's big integers)
  9 %, noble's hashes, HMAC and AES-GCM 6 %, and all the rest 28 %. In the handshake those
  operations cost about a tenth more CPU than in the ceiling's loop (the JIT and the caches
  are shared with everything else) and make most of the garbage, so with nothing else to do a
  full handshake would reach about 0.8× the ceiling, and with the rest of the handshake costing
  what it costs with nodeCryptoProvider (about 3 ms of CPU for both ends) under 0.6×. 0.9× is
  out of reach without public-key code faster than noble's.
`;

export const ALL_CORES = `## All cores

\`secure-duplex server --workers N\` runs the server in N processes on node:cluster (\`0\`: one per
core; docs/cli.md). The primary makes the session-ticket keys, and with \`-u\` the DTLS cookie
secret, and gives them to every worker: a session resumed by ticket is accepted whichever worker
gets the connection (spec/cli-workers and spec/cli-workers-dtls: \`openssl s_client -sess_in\` is
"Reused" at the worker that did not issue the session, over TLS and over DTLS), and a
HelloVerifyRequest cookie made by one worker is good at the others (spec/dtls-cookie-secret).
The table "All cores" above has handshakes/s and bulk throughput with 1 and 2 workers, over TLS.

TLS: node:cluster's primary accepts the TCP connections and hands them to the workers in turn.

DTLS (\`-u\`) with workers needs Node 22.12 or later (23.1 or later on the 23 line), on Linux. A
DTLS association lives in the worker that holds its keys, so every datagram from one client must
reach that worker. Each worker binds its own socket on the port with \`SO_REUSEPORT\`
(\`dgram.createSocket({ reusePort })\`), and the kernel sends every datagram of one client address
and port to the same socket: it chooses by a hash of the 4-tuple (spec/cli-workers-dtls runs
\`server --workers 2 -u\` under Node 22.12: \`openssl s_client -dtls1_2\` clients, three at once,
each completes its handshake and gets its line echoed, and both workers serve). The primary binds
the port first, so \`-p 0\` gives one port to all, keeps it until every worker has bound its
socket, and closes its own before the workers print \`listening:\`. The command line finds out
whether the running Node can by doing it (a second socket binds the port), not from the version.
The kernel's choice changes when a socket joins or leaves the port; the workers stay together
(one that exits stops the rest), and the shared cookie secret keeps a cookie good at whichever
worker then gets the client.

What Node 20 allows: a UDP socket bound in cluster workers is one socket shared by all of them
(the primary binds it and hands the handle over), and each arriving datagram goes to whichever
worker reads first; a worker may instead bind with \`exclusive: true\`, but then no two workers can
have the same port, because Node 20's \`dgram\` has no \`reusePort\` (it ignores the option). So on
Node 20 \`--workers\` with \`-u\` is refused (\`ERR_USAGE\`, with what is needed), and a DTLS server
runs in one process. Routing datagrams in the primary to a worker chosen by the client's address
would work on Node 20 but would put every datagram through the primary and an IPC hop; that is
not built, and not measured. The benchmark runs on the machine's Node, so it has no DTLS figures
with workers.
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
before its first sample so that most of it falls before; the row "without the JIT" measures the
same servers with V8's compilers off, which counts only what the connections retain. Our stack
compiles more of its own code than node:tls, whose TLS work is in C, so with the JIT on ours is
a few percent above node:tls's heap figure and without it below. \`spec/memory-per-connection\`
compares the heap of both providers with node:tls's, all servers running without the JIT, and
fails above node:tls's figure.
`;
