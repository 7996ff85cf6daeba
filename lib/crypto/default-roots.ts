// The default trust store, as node:tls builds it: node's bundled roots (tls.rootCertificates)
// plus the certificates of the file NODE_EXTRA_CA_CERTS names, read once. As in node, a `ca`
// option replaces this store; a file that cannot be read adds nothing (node warns about it
// itself at startup).

import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls'; // only the default trust store is read from node:tls

let roots: readonly string[] | undefined;

/** PEM strings of the default trust anchors. */
export function defaultRootCertificates(): readonly string[] {
  if (roots === undefined) {
    const file = process.env['NODE_EXTRA_CA_CERTS'];
    let extra: string[] = [];
    if (file !== undefined && file !== '') {
      try {
        extra = [readFileSync(file, 'latin1')];
      } catch {
        extra = [];
      }
    }
    roots = [...rootCertificates, ...extra];
  }
  return roots;
}
