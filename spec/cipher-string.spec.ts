// Cipher strings: our expansion (lib/engine/cipher-string.ts) against OpenSSL's own, run here:
// `openssl ciphers -s -psk -tls1_2 -V STRING`, restricted to the suites we implement, must list
// the same suites in the same order. Also the default list against node:tls's DEFAULT_CIPHERS
// expanded by OpenSSL (AEAD suites first), and the rows of the CBC and CCM suites against
// OpenSSL's descriptions of them.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import tls from 'node:tls';
import {
  ALL_CIPHER_SUITES, CIPHER_SUITES, NODE_DEFAULT_CIPHER_STRING, parseCipherList, type CipherSuite,
} from '../lib/engine/cipher-suites.js';
import { expandCipherString } from '../lib/engine/cipher-string.js';
import { TlsError } from '../lib/errors.js';
import { requirePeer } from './helpers/peers.js';

interface OpensslCipher {
  id: number;
  name: string;
  /** "Kx=ECDH Au=RSA Enc=AES(128) Mac=SHA1" */
  kx: string;
  au: string;
  enc: string;
  mac: string;
  protocol: string;
}

/** `openssl ciphers -s -psk -tls1_2 -V str`, parsed; [] when OpenSSL finds no match. */
function opensslCiphers(str: string): OpensslCipher[] {
  let out: string;
  try {
    out = execFileSync('openssl', ['ciphers', '-s', '-psk', '-tls1_2', '-V', str], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return []; // "no cipher match"
  }
  const rows: OpensslCipher[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*0x([0-9A-F]{2}),0x([0-9A-F]{2}) - (\S+)\s+(\S+)\s+Kx=(\S+)\s+Au=(\S+)\s+Enc=(\S+)\s+Mac=(\S+)/.exec(line);
    if (m) rows.push({ id: parseInt(m[1]! + m[2]!, 16), name: m[3]!, protocol: m[4]!, kx: m[5]!, au: m[6]!, enc: m[7]!, mac: m[8]! });
  }
  return rows;
}

const OURS = new Set(ALL_CIPHER_SUITES.map((s) => s.id));
const hex = (ids: number[]): string[] => ids.map((i) => `0x${i.toString(16).padStart(4, '0')}`);

/** The strings compared: names, keywords, every operator, @STRENGTH and @SECLEVEL. */
const STRINGS = [
  'ALL', 'DEFAULT', 'HIGH', 'ALL:@STRENGTH', 'DEFAULT:@SECLEVEL=3', 'ALL:@SECLEVEL=4', 'HIGH:@SECLEVEL=5', 'ALL:@SECLEVEL=0',
  'aRSA', 'aECDSA', 'ECDSA', 'aPSK', 'kRSA', 'RSA', 'kDHE', 'DHE', 'kECDHE', 'ECDHE', 'EECDH', 'ECDH', 'kPSK', 'kECDHEPSK', 'PSK',
  'AES', 'AES128', 'AES256', 'AESGCM', 'AESCCM', 'AESCCM8', 'CHACHA20', 'CBC', 'SHA1', 'SHA', 'SHA256', 'SHA384',
  'TLSv1.2', 'TLSv1', 'TLSv1.0', 'SSLv3', 'FIPS', 'COMPLEMENTOFDEFAULT',
  'kECDHE+AESGCM', 'aECDSA+AESCCM', 'kPSK+SHA256', 'ECDHE+SHA1:PSK+AES256',
  'ALL:!PSK', 'ALL:-AESGCM:AESGCM', 'HIGH:+CBC', 'HIGH:+SHA1:+AESCCM8', 'AESCCM:AESGCM:CBC', 'SHA1:AES256:@STRENGTH',
  'DEFAULT:!aRSA', 'DEFAULT:-ECDHE:ECDHE-RSA-AES128-SHA', 'CBC:!SHA384', 'PSK:-kPSK:kPSK', 'AES128:!SHA1:!SHA256:!SHA384',
  'ECDHE-ECDSA-AES128-CCM8:ECDHE-RSA-AES256-SHA:PSK-AES128-CBC-SHA256',
  'ECDHE-PSK-AES256-CBC-SHA384,ECDHE-PSK-AES128-CBC-SHA;PSK-AES256-CCM',
  'HIGH:!aNULL:!eNULL:!EXPORT:!DES:!RC4:!MD5:!PSK:!SRP:!CAMELLIA', 'ALL:!COMPLEMENTOFDEFAULT:!eNULL', 'UNKNOWN:AESCCM8',
  'ECDHE:+AES256:-SHA1', 'kECDHE:kPSK:kECDHEPSK:@STRENGTH:-AESCCM8:AESCCM8',
];

describe('cipher strings (OpenSSL 3.0 semantics, compared with `openssl ciphers`)', function () {
  this.timeout(60_000);

  for (const str of STRINGS) {
    it(`'${str}' selects what OpenSSL selects, in its order`, function () {
      requirePeer(this, 'openssl');
      const theirs = opensslCiphers(str).map((c) => c.id).filter((id) => OURS.has(id));
      const ours = expandCipherString(str, ALL_CIPHER_SUITES).map((s) => s.id);
      expect(hex(ours)).to.deep.equal(hex(theirs));
    });
  }

  it('our rows say what OpenSSL says of each suite (name, key exchange, auth, cipher, MAC, protocol)', function () {
    requirePeer(this, 'openssl');
    const theirs = new Map(opensslCiphers('ALL:COMPLEMENTOFALL').map((c) => [c.id, c]));
    const kx: Record<string, string> = { ECDHE: 'ECDH', PSK: 'PSK', ECDHE_PSK: 'ECDHEPSK', DHE: 'DH', RSA: 'RSA', DHE_PSK: 'DHEPSK' };
    const enc = (s: CipherSuite): string => {
      const bits = s.keyLength * 8;
      if (s.cbc) return `AES(${bits})`;
      if (s.aead === 'CHACHA20-POLY1305') return `CHACHA20/POLY1305(${bits})`;
      return `${s.aead!.includes('GCM') ? 'AESGCM' : s.aead!.endsWith('-8') ? 'AESCCM8' : 'AESCCM'}(${bits})`;
    };
    for (const s of ALL_CIPHER_SUITES) {
      const o = theirs.get(s.id);
      expect(o, s.name).to.not.equal(undefined);
      expect([o!.name, o!.kx, o!.au, o!.enc, o!.mac, o!.protocol], s.name).to.deep.equal([
        s.opensslName, kx[s.kx], s.auth, enc(s), s.mac ? s.mac.toUpperCase() : 'AEAD', s.minProtocol,
      ]);
    }
  });

  it("the default list: node:tls's DEFAULT_CIPHERS as OpenSSL expands it without static RSA (kRSA), AEAD suites first", function () {
    requirePeer(this, 'openssl');
    expect(NODE_DEFAULT_CIPHER_STRING).to.equal(tls.DEFAULT_CIPHERS);
    // Static RSA key exchange (no forward secrecy) is used only when named: OpenSSL's own
    // expansion of the same string with :!kRSA is the reference.
    const theirs = opensslCiphers(`${tls.DEFAULT_CIPHERS}:!kRSA`).map((c) => c.id).filter((id) => OURS.has(id));
    const aead = new Set(ALL_CIPHER_SUITES.filter((s) => s.aead !== undefined).map((s) => s.id));
    const expected = [...theirs.filter((id) => aead.has(id)), ...theirs.filter((id) => !aead.has(id))];
    expect(hex(CIPHER_SUITES.map((s) => s.id))).to.deep.equal(hex(expected));
    expect(parseCipherList(undefined)).to.deep.equal([...CIPHER_SUITES]);
    // It holds the CBC and CCM certificate suites and DHE-RSA (named in node's string), no PSK
    // suite and no static RSA.
    expect(CIPHER_SUITES.some((s) => s.cbc !== undefined)).to.equal(true);
    expect(CIPHER_SUITES.some((s) => s.aead?.includes('CCM'))).to.equal(true);
    expect(CIPHER_SUITES.some((s) => s.kx === 'DHE')).to.equal(true);
    expect(CIPHER_SUITES.some((s) => s.kx !== 'ECDHE' && s.kx !== 'DHE')).to.equal(false);
  });

  it('a string that selects nothing we speak → ERR_SSL_NO_CIPHER_MATCH, as node:tls', () => {
    for (const str of ['kRSA+AESCCM', 'CAMELLIA', 'ALL:!ALL', 'AESCCM:@SECLEVEL=4:!AES256']) {
      expect(() => parseCipherList(str), str).to.throw(TlsError).with.property('code', 'ERR_SSL_NO_CIPHER_MATCH');
    }
  });

  it('IANA names are accepted besides OpenSSL names (our addition)', () => {
    expect(parseCipherList('TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA:TLS_PSK_WITH_AES_128_CCM_8').map((s) => s.opensslName))
      .to.deep.equal(['ECDHE-RSA-AES128-SHA', 'PSK-AES128-CCM8']);
  });
});
