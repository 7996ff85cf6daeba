// What the parity scenarios share: the test PKI as node:tls options, listening, and bounded waits.
import type { AddressInfo } from 'node:net';
import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { makePki } from '../helpers/pki.js';
import { within } from '../helpers/within.js';
import type { Recorder } from './harness.js';

const pki = makePki();

/** A server certificate (P-256, localhost / 127.0.0.1) and its key. */
export function serverOptions(extra: object = {}): Record<string, unknown> {
  return { cert: pki.leaves['ec-p256'].certPem, key: pki.leaves['ec-p256'].keyPem, ...extra };
}

/** A client of 127.0.0.1:port trusting the test CA, SNI localhost. */
export function clientOptions(port: number, extra: object = {}): Record<string, unknown> {
  return { host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', ...extra };
}

/** The test CA and the client certificate (for requestCert scenarios). */
export const testPki = pki;

/** listen() on 127.0.0.1:0; the server is closed after the scenario. */
export async function listen(rec: Recorder, server: { listen: Function; address(): unknown; close(): unknown }): Promise<number> {
  rec.track(server as { close(): unknown });
  await within(new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res())), 'listen');
  return (server.address() as AddressInfo).port;
}

/** The next `event` of `emitter` (bounded: a scenario that waits for it must see it with both
 *  libraries, else the test fails here). */
export function next<T = unknown>(emitter: EventEmitter, event: string, ms = 10_000): Promise<T> {
  return within(new Promise<T>((res) => emitter.once(event, (v: T) => res(v))), event, ms);
}

/** 'secureConnect' (true) or 'close' first (false), bounded: a socket that does neither is
 *  recorded as "never: secureConnect" in `channel`. */
export function secured(rec: Recorder, channel: string, c: Duplex): Promise<boolean | undefined> {
  return rec.settle(channel, 'secureConnect', new Promise<boolean>((res) => {
    c.once('secureConnect', () => res(true));
    c.once('close', () => res(false));
  }));
}
