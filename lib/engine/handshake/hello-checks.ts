// Checks shared by both handshake roles.
import { TlsError, ErrorCode } from '../../errors.js';
import { constantTimeEqual } from '../../constant-time.js';
import type { Extension } from './message-types.js';

/** RFC 5746 §3.4/§3.6/§3.7: the renegotiation_info value must equal what the binding requires. */
export function checkRenegotiationInfo(got: Uint8Array | undefined, expected: Uint8Array, what: string): void {
  if (got === undefined) {
    throw new TlsError(ErrorCode.RENEGOTIATION_INFO_MISMATCH, `${what}: renegotiation_info missing`, 'handshake_failure');
  }
  if (!constantTimeEqual(got, expected)) {
    throw new TlsError(ErrorCode.RENEGOTIATION_INFO_MISMATCH, `${what}: renegotiation_info does not match the previous Finished messages`, 'handshake_failure');
  }
}

/** RFC 5246 §7.4.1.4: a server may only answer extensions the client offered. */
export function checkServerExtensionsOffered(server: readonly Extension[], offered: ReadonlySet<number>): void {
  for (const e of server) {
    if (!offered.has(e.type)) {
      throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, `server sent extension ${e.type} that was not offered`, 'unsupported_extension');
    }
  }
}
