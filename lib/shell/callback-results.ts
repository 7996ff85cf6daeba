// node:tls's checks on what the application's callbacks return (pskCallback on either side,
// ALPNCallback), with node's codes and messages (measured with node 20 / OpenSSL 3.0, whose
// PSK_MAX_PSK_LEN is 512 and PSK_MAX_IDENTITY_LEN 256). The engine gets the callbacks wrapped:
// it only sees well-formed answers, or none (its protocol answer to "no key": RFC 4279 §2).
import { TlsError } from '../errors.js';
import type { PskClientAnswer } from '../engine/config.js';

/** OpenSSL 3.0 PSK_MAX_PSK_LEN: longest key, in bytes. */
const PSK_MAX_KEY_LENGTH = 512;
/** OpenSSL 3.0 PSK_MAX_IDENTITY_LEN: longest identity, in bytes. */
const PSK_MAX_IDENTITY_LENGTH = 256;

function invalidArgValue(name: string, message: string): TlsError {
  // node:tls throws ERR_INVALID_ARG_VALUE from inside the handshake (and sends no alert); we
  // also tell the peer, with internal_error.
  return new TlsError('ERR_INVALID_ARG_VALUE', `The argument '${name}' ${message}`, 'internal_error');
}

function invalidArgType(message: string): TlsError {
  return new TlsError('ERR_INVALID_ARG_TYPE', message, 'internal_error');
}

/** The key an application returned, checked as node checks it. */
function checkedKey(psk: unknown, typeMessage: string): Uint8Array {
  if (!(psk instanceof Uint8Array)) throw invalidArgType(typeMessage);
  if (psk.length > PSK_MAX_KEY_LENGTH) throw invalidArgValue('psk', `Pre-shared key exceeds ${PSK_MAX_KEY_LENGTH} bytes`);
  return psk;
}

/** Client pskCallback(hint)'s answer: `{ psk, identity }` or null/undefined (no key: the engine
 *  aborts with ERR_SSL_PSK_IDENTITY_NOT_FOUND); anything else is ERR_INVALID_ARG_TYPE / _VALUE. */
export function checkClientPskAnswer(answer: unknown): PskClientAnswer | null | undefined {
  if (answer === null || answer === undefined) return answer;
  if (typeof answer !== 'object') throw invalidArgType(`The "ret" argument must be of type object. Received type ${typeof answer}`);
  const { psk, identity } = answer as { psk?: unknown; identity?: unknown };
  const key = checkedKey(psk, 'The "psk" argument must be an instance of Buffer, TypedArray, or DataView.');
  if (typeof identity !== 'string') throw invalidArgType(`The "identity" argument must be of type string. Received type ${typeof identity}`);
  if (Buffer.byteLength(identity) > PSK_MAX_IDENTITY_LENGTH) {
    throw invalidArgValue('identity', `PSK identity exceeds ${PSK_MAX_IDENTITY_LENGTH} bytes`);
  }
  return { psk: key, identity };
}

/** Server pskCallback(socket, identity)'s answer: a key (or `{ psk }`), or null/undefined
 *  (unknown identity: the engine answers unknown_psk_identity); anything else is
 *  ERR_INVALID_ARG_TYPE / _VALUE. */
export function checkServerPskAnswer(answer: unknown): Uint8Array | null | undefined {
  if (answer === null || answer === undefined) return answer;
  const psk = answer instanceof Uint8Array ? answer : typeof answer === 'object' ? (answer as { psk?: unknown }).psk : undefined;
  return checkedKey(psk, 'The "ret" argument must be of type Object, Buffer, TypedArray, or DataView.');
}

/** ALPNCallback({ servername, protocols })'s answer: one of `protocols`, or undefined (the
 *  engine refuses with no_application_protocol); anything else is the application's mistake,
 *  which node reports as ERR_TLS_ALPN_CALLBACK_INVALID_RESULT. */
export function checkAlpnAnswer(pick: unknown, protocols: readonly string[]): string | undefined {
  if (pick === undefined) return undefined;
  if (typeof pick !== 'string' || !protocols.includes(pick)) {
    throw new TlsError('ERR_TLS_ALPN_CALLBACK_INVALID_RESULT', `ALPN callback returned a value (${String(pick)}) that did not match any of the client's offered protocols (${protocols.join(', ')})`, 'internal_error');
  }
  return pick;
}
