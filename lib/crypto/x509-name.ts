// X.501 Names as certificates carry them (RFC 5280 §4.1.2.4): the canonical form used to compare
// them, and their attributes.

import * as der from './der.js';
import { toHex } from '../hex.js';

/** One attribute of a Name: its type and its (still encoded) value. */
export interface NameAttribute {
  readonly oid: string;
  readonly value: der.DerNode | undefined;
}

/** The attributes of a Name in order, RDN by RDN. */
export function nameAttributes(name: der.DerNode): NameAttribute[] {
  return der.children(name).flatMap((rdn) => der.children(rdn).map((atv) => {
    const [type, value] = der.children(atv);
    return { oid: der.readOid(der.expectTag(type, der.Tag.OID, 'attribute type')), value };
  }));
}

/** X509_NAME_cmp canonical form of each RDN (OpenSSL x509_name_canon): string values converted
 *  to text, leading/trailing white space removed, inner runs collapsed to one space, ASCII
 *  lowercased (cf. RFC 5280 §7.1 / RFC 4518 preparation); other values compared by encoding. */
export function canonicalRdns(name: der.DerNode): string[] {
  return der.children(name).map((rdn) => der.children(rdn).map((atv) => {
    const [type, value] = der.children(atv);
    const oid = der.readOid(der.expectTag(type, der.Tag.OID, 'attribute type'));
    if (value !== undefined && der.isStringTag(value.tag)) {
      const text = der.readString(value)
        .replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '')
        .replace(/[ \t\n\v\f\r]+/g, ' ')
        .replace(/[A-Z]/g, (c) => c.toLowerCase());
      return `${oid}=${JSON.stringify(text)}`;
    }
    return `${oid}#${value === undefined ? '' : toHex(value.bytes)}`;
  }).sort().join('+'));
}

/** The whole Name in canonical form: equal strings are equal names (X509_NAME_cmp). */
export function canonicalName(name: der.DerNode): string {
  return canonicalRdns(name).join(',');
}
