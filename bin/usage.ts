// --help texts, built from the flag tables so every flag is listed.
import { formatFlags } from './args.js';
import { CLIENT_FLAGS, CLIENT_SYNOPSIS } from './client-command.js';
import { DEMO_FLAGS, DEMO_SYNOPSIS } from './demo-command.js';
import { SERVER_FLAGS, SERVER_SYNOPSIS } from './server-command.js';

const STATUS_LINES = `Status lines (stdout; stderr with --pipe) start with:
  listening: HOST:PORT               server address
  certificate: / fingerprint: SHA256 AB:CD:...   a generated certificate (server: signed by the demo CA)
  protocol: TLSv1.2
  cipher: <IANA name>
  group: <ECDHE group>
  peer: <subject CN> authorized=<true|false>
  renegotiation: complete (<local|peer>, <IANA cipher name>)
  Beginning secure renegotiation. / RENEGOTIATION SUCCESSFUL / NON-BLOCKING RENEGOTIATION SUCCESSFUL
                                     (client -i, server -m: wolfSSL's lines; NON-BLOCKING with -N)
  alpn: <protocol>  session: new|reused  ocsp: ...  certificate chain: N   (--alpn, --sess-*, --status, --showcerts)
  Client message: / Server response: <text>
  Client message received during secure renegotiation: <text>   (server)
  Server message received during secure renegotiation: <text>   (client)
  error: <code>: <message> — <what to do>   (stderr; the exit code is then non-zero)
With --json each line is a JSON object instead.`;

export function serverUsage(): string {
  return `usage: ${SERVER_SYNOPSIS}

TLS 1.2 server (wolfSSL example server flags). Without -c/-k a self-signed ECDSA P-256
certificate for localhost and 127.0.0.1 is generated and its fingerprint printed. Without -e
or -g, each message is printed ("Client message: ...") and answered "I hear you fa shizzle!".

${formatFlags(SERVER_FLAGS)}

${STATUS_LINES}
`;
}

export function clientUsage(): string {
  return `usage: ${CLIENT_SYNOPSIS}

TLS 1.2 client (wolfSSL example client flags). Connects, prints the protocol and cipher,
sends "hello wolfssl!", prints the reply ("Server response: ...") and closes.

${formatFlags(CLIENT_FLAGS)}

${STATUS_LINES}
`;
}

export function demoUsage(): string {
  return `usage: ${DEMO_SYNOPSIS}

An echo server and a client in one process on loopback: a few messages, then random data
streamed both ways while client and server take turns renegotiating; the SHA-256 of the data
sent and received is compared in both directions ("demo: OK" or "demo: FAILED ...").

${formatFlags(DEMO_FLAGS)}
`;
}

export function mainUsage(): string {
  return `usage: secure-duplex <command> [options]

Commands:
  server   TLS 1.2 server          ${SERVER_SYNOPSIS.replace('secure-duplex server ', '')}
  client   TLS 1.2 client          ${CLIENT_SYNOPSIS.replace('secure-duplex client ', '')}
  demo     in-process echo server and client, renegotiating while data flows

Run "secure-duplex <command> --help" for the flags of a command, "secure-duplex --version"
for the version. docs/cli.md is the manual.

server flags:
${formatFlags(SERVER_FLAGS)}

client flags:
${formatFlags(CLIENT_FLAGS)}

demo flags:
${formatFlags(DEMO_FLAGS)}

${STATUS_LINES}
`;
}
