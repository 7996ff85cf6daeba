// Certificate constraints on chains issued by the openssl CLI — name constraints (RFC 5280
// §4.2.1.10), certificate policies (§6.1 policy processing), Netscape certificate types and
// critical extensions this verifier does not process. Each case's verdict from
// verifyCertificateChain is compared with `openssl verify` and with a real node:tls client
// connecting to a node:tls server that sends the chain. Where node:tls does not check (policies:
// OpenSSL runs policy processing only with -policy_check, which node never sets), the case says
// so and the test asserts node's different verdict, as docs/compat.md lists it.

import { expect } from 'chai';
import { verifyCertificateChain } from '../lib/crypto/certificate-verifier.js';
import { pemBlocks } from '../lib/crypto/pem.js';
import { connect, createServer } from '../lib/index.js';
import { nodeClientVerdictOf } from './helpers/node-verdict.js';
import { OpensslCa, opensslVerify, type OpensslCert } from './helpers/openssl-ca.js';
import { requirePeer } from './helpers/peers.js';
import type { AddressInfo } from 'node:net';

const PERMITTED = 'permitted subtree violation';
const EXCLUDED = 'excluded subtree violation';

interface Case {
  name: string;
  /** nameConstraints (or other) extension lines added to the root / the intermediate. */
  root?: readonly string[];
  mid?: readonly string[];
  /** Intermediate subject (default '/O=Allowed Org/CN=nc intermediate'). */
  midSubject?: string;
  /** Leaf subject (default '/O=Allowed Org/CN=leaf') and subjectAltName value (none if absent). */
  leafSubject?: string;
  san?: string;
  /** More extension lines for the leaf / a second intermediate below `mid` (absent: none). */
  leaf?: readonly string[];
  mid2?: readonly string[];
  /** 'ok' or OpenSSL's error text. */
  expected: string;
  /** Extra `openssl verify` arguments (e.g. -policy_check). */
  opensslArgs?: readonly string[];
  /** A proxy certificate (RFC 3820): OpenSSL refuses it for its own reason. */
  opensslProxy?: boolean;
  /** node:tls's verdict when it differs from ours (a documented difference): 'ok', or the
   *  message of its refusal. */
  nodeSays?: string;
}

const dns = (d: string): string => `nameConstraints = critical, permitted;DNS:${d}`;

const cases: Case[] = [
  // dNSName (§4.2.1.10: labels may be added on the left; a leading '.' means below only)
  { name: 'DNS subtree: the name itself', mid: [dns('allowed.example')], san: 'DNS:allowed.example', expected: 'ok' },
  { name: 'DNS subtree: a name below it', mid: [dns('allowed.example')], san: 'DNS:www.allowed.example', expected: 'ok' },
  { name: 'DNS subtree: letter case does not matter', mid: [dns('allowed.example')], san: 'DNS:WWW.Allowed.EXAMPLE', expected: 'ok' },
  { name: 'DNS subtree: a name that only ends with the same letters', mid: [dns('allowed.example')], san: 'DNS:notallowed.example', expected: PERMITTED },
  { name: 'DNS subtree with a leading dot: the domain itself is outside', mid: [dns('.allowed.example')], san: 'DNS:allowed.example', expected: PERMITTED },
  { name: 'DNS subtree with a leading dot: localhost is outside', mid: [dns('.allowed.example')], san: 'DNS:localhost', expected: PERMITTED },
  { name: 'DNS subtree: one SAN inside, one outside', mid: [dns('allowed.example')], san: 'DNS:a.allowed.example, DNS:evil.example', expected: PERMITTED },
  { name: 'DNS excluded subtree: a name below it', mid: ['nameConstraints = critical, excluded;DNS:bad.example'], san: 'DNS:www.bad.example', expected: EXCLUDED },
  { name: 'DNS excluded subtree: another name', mid: ['nameConstraints = critical, excluded;DNS:bad.example'], san: 'DNS:good.example', expected: 'ok' },
  { name: 'DNS permitted with an excluded hole', mid: ['nameConstraints = critical, permitted;DNS:allowed.example, excluded;DNS:secret.allowed.example'], san: 'DNS:x.secret.allowed.example', expected: EXCLUDED },
  { name: 'DNS subtree, two permitted subtrees, the second matches', mid: ['nameConstraints = critical, permitted;DNS:one.example, permitted;DNS:two.example'], san: 'DNS:www.two.example', expected: 'ok' },
  // The leaf's commonName stands for a host name when there is no DNS subjectAltName.
  { name: 'CN check: no SAN, host-like CN inside', mid: [dns('allowed.example')], leafSubject: '/O=Allowed Org/CN=www.allowed.example', expected: 'ok' },
  { name: 'CN check: no SAN, host-like CN outside', mid: [dns('allowed.example')], leafSubject: '/O=Allowed Org/CN=www.other.example', expected: PERMITTED },
  { name: 'CN check: a DNS SAN inside makes the CN irrelevant', mid: [dns('allowed.example')], leafSubject: '/CN=www.other.example', san: 'DNS:allowed.example', expected: 'ok' },
  { name: 'CN check: a one-label CN is not a host name', mid: [dns('allowed.example')], leafSubject: '/CN=localhost', expected: 'ok' },
  { name: 'CN check: an IP SAN only, host-like CN outside', mid: [dns('allowed.example')], leafSubject: '/CN=www.other.example', san: 'IP:127.0.0.1', expected: PERMITTED },
  // iPAddress (address and mask)
  { name: 'IP subtree: inside 127.0.0.0/8', mid: ['nameConstraints = critical, permitted;IP:127.0.0.0/255.0.0.0'], san: 'IP:127.0.0.1', expected: 'ok' },
  { name: 'IP subtree: outside 10.0.0.0/8', mid: ['nameConstraints = critical, permitted;IP:10.0.0.0/255.0.0.0'], san: 'IP:127.0.0.1', expected: PERMITTED },
  { name: 'IP excluded: the one address', mid: ['nameConstraints = critical, excluded;IP:127.0.0.1/255.255.255.255'], san: 'IP:127.0.0.1', expected: EXCLUDED },
  { name: 'IP subtree: IPv4 never matches an IPv6 subtree', mid: ['nameConstraints = critical, permitted;IP:::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'], san: 'IP:127.0.0.1', expected: PERMITTED },
  { name: 'IP subtrees for both families, both addresses inside', mid: ['nameConstraints = critical, permitted;IP:127.0.0.0/255.0.0.0, permitted;IP:::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'], san: 'IP:127.0.0.1, IP:::1', expected: 'ok' },
  { name: 'a DNS subtree does not restrict IP names', mid: [dns('allowed.example')], san: 'DNS:allowed.example, IP:10.1.2.3', expected: 'ok' },
  // rfc822Name
  { name: 'email subtree: every mailbox at the host', mid: ['nameConstraints = critical, permitted;email:allowed.example'], san: 'DNS:allowed.example, email:user@allowed.example', expected: 'ok' },
  { name: 'email subtree with a leading dot: the host itself is outside', mid: ['nameConstraints = critical, permitted;email:.allowed.example'], san: 'email:user@allowed.example', expected: PERMITTED },
  { name: 'email subtree with a leading dot: a host below', mid: ['nameConstraints = critical, permitted;email:.allowed.example'], san: 'email:user@mail.allowed.example', expected: 'ok' },
  { name: 'email subtree of one mailbox: the local part is case-sensitive', mid: ['nameConstraints = critical, permitted;email:boss@allowed.example'], san: 'email:Boss@allowed.example', expected: PERMITTED },
  { name: 'email excluded: an emailAddress attribute of the subject counts', mid: ['nameConstraints = critical, excluded;email:allowed.example'], leafSubject: '/O=Allowed Org/CN=leaf/emailAddress=user@allowed.example', expected: EXCLUDED },
  // directoryName (a prefix of RDNs, compared in canonical form)
  { name: 'dirName subtree: the subject begins with it', mid: ['nameConstraints = critical, permitted;dirName:dir_ok', '[dir_ok]', 'O = Allowed Org'], expected: 'ok' },
  { name: 'dirName subtree: case and spaces are folded', mid: ['nameConstraints = critical, permitted;dirName:dir_ok', '[dir_ok]', 'O = allowed  org'], expected: 'ok' },
  { name: 'dirName subtree: another organisation', mid: ['nameConstraints = critical, permitted;dirName:dir_ok', '[dir_ok]', 'O = Allowed Org'], leafSubject: '/O=Other Org/CN=leaf', expected: PERMITTED },
  { name: 'dirName subtree: longer than the subject', mid: ['nameConstraints = critical, permitted;dirName:dir_ok', '[dir_ok]', 'C = US', 'O = Allowed Org'], expected: PERMITTED },
  { name: 'dirName excluded subtree', mid: ['nameConstraints = critical, excluded;dirName:dir_bad', '[dir_bad]', 'O = Bad Org'], leafSubject: '/O=Bad Org/CN=leaf', expected: EXCLUDED },
  // uniformResourceIdentifier (the host part)
  { name: 'URI subtree with a leading dot: a host below', mid: ['nameConstraints = critical, permitted;URI:.allowed.example'], san: 'URI:https://www.allowed.example/path', expected: 'ok' },
  { name: 'URI subtree: another host with a port', mid: ['nameConstraints = critical, permitted;URI:allowed.example'], san: 'URI:https://other.example:8443/', expected: PERMITTED },
  { name: 'URI subtree: a URI without an authority', mid: ['nameConstraints = critical, permitted;URI:allowed.example'], san: 'URI:urn:example:thing', expected: 'unsupported or invalid name syntax' },
  // Where the constraint sits, and what is checked
  { name: 'constraint in the trust anchor applies to the leaf', root: [dns('.allowed.example')], midSubject: '/O=Allowed Org/CN=nc intermediate', san: 'DNS:localhost', expected: PERMITTED },
  { name: 'constraint in the trust anchor applies to the intermediate subject', root: ['nameConstraints = critical, permitted;dirName:dir_ok', '[dir_ok]', 'O = Allowed Org'], midSubject: '/O=Other Org/CN=nc intermediate', expected: PERMITTED },
  { name: 'constraints of anchor and intermediate both hold', root: ['nameConstraints = critical, permitted;DNS:example'], mid: [dns('allowed.example')], san: 'DNS:www.allowed.example', expected: 'ok' },
  { name: 'a non-critical nameConstraints extension is enforced as well', mid: ['nameConstraints = permitted;DNS:allowed.example'], san: 'DNS:localhost', expected: PERMITTED },
  { name: 'minimum/maximum in a subtree are refused', mid: ['2.5.29.30 = critical, DER:3017a0153013820e6d696e6d61782e6578616d706c65810102'], san: 'DNS:minmax.example', expected: 'name constraints minimum and maximum not supported' },
  { name: 'a registeredID constraint cannot be checked', mid: ['nameConstraints = critical, permitted;RID:1.2.3.4'], san: 'RID:1.2.3.4', expected: 'unsupported name constraint type' },
];

const NO_EXPLICIT = 'no explicit policy';
// RFC 5280 §6.1.1 (c): a TLS client's user-initial-policy-set is anyPolicy.
const policyCheck = ['-policy_check', '-policy', '2.5.29.32.0'];
const requireExplicit = 'policyConstraints = critical, requireExplicitPolicy:0';

const policyCases: Case[] = [
  { name: 'policies: explicit policy required and asserted all the way down', mid: [requireExplicit, 'certificatePolicies = 1.2.3.4'], leaf: ['certificatePolicies = 1.2.3.4'], expected: 'ok', opensslArgs: policyCheck },
  { name: 'policies: explicit policy required, the leaf asserts none', mid: [requireExplicit, 'certificatePolicies = 1.2.3.4'], expected: NO_EXPLICIT, opensslArgs: policyCheck, nodeSays: 'ok' },
  { name: 'policies: explicit policy required, the leaf asserts another policy', mid: [requireExplicit, 'certificatePolicies = 1.2.3.4'], leaf: ['certificatePolicies = 1.2.3.5'], expected: NO_EXPLICIT, opensslArgs: policyCheck, nodeSays: 'ok' },
  { name: 'policies: anyPolicy in the intermediate lets the leaf choose', mid: [requireExplicit, 'certificatePolicies = 2.5.29.32.0'], leaf: ['certificatePolicies = 1.2.3.5'], expected: 'ok', opensslArgs: policyCheck },
  { name: 'policies: requireExplicitPolicy with a skip count of 1 comes due at the leaf', mid: ['policyConstraints = critical, requireExplicitPolicy:1', 'certificatePolicies = 1.2.3.4'], expected: NO_EXPLICIT, opensslArgs: policyCheck, nodeSays: 'ok' },
  { name: 'policies: requireExplicitPolicy with a skip count of 2 comes due below the leaf', mid: ['policyConstraints = critical, requireExplicitPolicy:2', 'certificatePolicies = 1.2.3.4'], expected: 'ok', opensslArgs: policyCheck },
  { name: 'policies: inhibitAnyPolicy stops anyPolicy in the leaf', mid: [requireExplicit, 'inhibitAnyPolicy = critical, 0', 'certificatePolicies = 2.5.29.32.0'], leaf: ['certificatePolicies = 2.5.29.32.0'], expected: NO_EXPLICIT, opensslArgs: policyCheck, nodeSays: 'ok' },
  { name: 'policies: without inhibitAnyPolicy the leaf may assert anyPolicy', mid: [requireExplicit, 'certificatePolicies = 2.5.29.32.0'], leaf: ['certificatePolicies = 2.5.29.32.0'], expected: 'ok', opensslArgs: policyCheck },
  { name: 'policies: a mapping carries the policy to the leaf', mid: [requireExplicit, 'certificatePolicies = 1.2.3.4', 'policyMappings = critical, 1.2.3.4:1.2.3.5'], leaf: ['certificatePolicies = 1.2.3.5'], expected: 'ok', opensslArgs: policyCheck },
  { name: 'policies: a mapping inhibited above it removes the policy', mid: [requireExplicit, 'policyConstraints = critical, requireExplicitPolicy:0, inhibitPolicyMapping:0', 'certificatePolicies = 1.2.3.4'], mid2: ['certificatePolicies = 1.2.3.4', 'policyMappings = critical, 1.2.3.4:1.2.3.5'], leaf: ['certificatePolicies = 1.2.3.5'], expected: NO_EXPLICIT, opensslArgs: policyCheck, nodeSays: 'ok' },
  { name: 'policies: a mapping to anyPolicy is invalid', mid: ['certificatePolicies = 1.2.3.4', 'policyMappings = critical, 1.2.3.4:2.5.29.32.0'], expected: 'invalid or inconsistent certificate policy extension', opensslArgs: policyCheck, nodeSays: 'ok' },
  { name: 'policies: critical policy extensions without a requirement change nothing', mid: ['certificatePolicies = critical, 1.2.3.4', 'inhibitAnyPolicy = critical, 0'], leaf: ['certificatePolicies = critical, 1.2.3.9'], expected: 'ok' },
];

const otherCases: Case[] = [
  { name: 'nsCertType: a server leaf typed for clients only', leaf: ['nsCertType = client'], expected: 'unsuitable certificate purpose' },
  { name: 'nsCertType: a server leaf typed for servers', leaf: ['nsCertType = critical, server'], expected: 'ok' },
  { name: 'a critical RFC 3779 address block is not processed here: refused', root: ['sbgp-ipAddrBlock = critical, IPv4:127.0.0.0/8'], mid: ['sbgp-ipAddrBlock = critical, IPv4:127.0.0.0/8'], leaf: ['sbgp-ipAddrBlock = critical, IPv4:127.0.0.1'], expected: 'unhandled critical extension', opensslArgs: [], nodeSays: 'ok' },
  { name: 'a critical proxyCertInfo extension is refused', leaf: ['proxyCertInfo = critical, language:id-ppl-anyLanguage'], expected: 'unhandled critical extension', opensslProxy: true, nodeSays: 'proxy subject name violation' },
];

describe('certificate constraints, against openssl verify and node:tls', function () {
  this.timeout(120_000);
  let ca: OpensslCa;
  before(function () {
    requirePeer(this, 'openssl');
    ca = new OpensslCa();
  });

  const caExtensions = ['basicConstraints = critical, CA:true', 'keyUsage = critical, keyCertSign, cRLSign', 'subjectKeyIdentifier = hash'];

  function build(c: Case): { root: OpensslCert; untrustedPem: string; leaf: OpensslCert; chainPem: string } {
    const root = ca.issue({ subject: '/O=Test/CN=nc root', extensions: [...caExtensions, ...(c.root ?? [])] });
    const mid = ca.issue({
      subject: c.midSubject ?? '/O=Allowed Org/CN=nc intermediate',
      extensions: [...caExtensions, 'authorityKeyIdentifier = keyid', ...(c.mid ?? [])],
      issuer: root,
    });
    const mid2 = c.mid2 === undefined ? undefined : ca.issue({
      subject: '/O=Allowed Org/CN=nc intermediate 2',
      extensions: [...caExtensions, 'authorityKeyIdentifier = keyid', ...c.mid2],
      issuer: mid,
    });
    const leaf = ca.issue({
      subject: c.leafSubject ?? '/O=Allowed Org/CN=leaf',
      extensions: [
        'basicConstraints = CA:false',
        'keyUsage = critical, digitalSignature',
        'extendedKeyUsage = serverAuth',
        'authorityKeyIdentifier = keyid',
        ...(c.san === undefined ? [] : [`subjectAltName = ${c.san}`]),
        ...(c.leaf ?? []),
      ],
      issuer: mid2 ?? mid,
    });
    const untrustedPem = (mid2?.certPem ?? '') + mid.certPem;
    return { root, untrustedPem, leaf, chainPem: leaf.certPem + untrustedPem };
  }

  function verdictsAgree(cases: readonly Case[]): void {
    for (const c of cases) {
      it(`${c.name} → ${c.expected}${c.nodeSays === undefined ? '' : ` (node:tls: ${c.nodeSays})`}`, async () => {
        const { root, untrustedPem, leaf, chainPem } = build(c);
        const ders = pemBlocks(chainPem, 'CERTIFICATE');
        const ours = verifyCertificateChain(ders, { ca: [root.certPem], purpose: 'server' });
        expect(ours.ok ? 'ok' : ours.message, 'ours').to.equal(c.expected);

        const openssl = opensslVerify(leaf.certPath, {
          caPath: root.certPath, untrustedPath: ca.file(untrustedPem), purpose: 'sslserver', extra: c.opensslArgs ?? [],
        });
        // A case whose openssl arguments are given as [] documents OpenSSL accepting what we
        // refuse: an extension it processes and this verifier does not (so it fails closed).
        const opensslExpected = c.opensslProxy === true ? 'proxy certificates not allowed, please set the appropriate flag'
          : c.opensslArgs?.length === 0 ? 'ok' : c.expected;
        expect(openssl.ok ? 'ok' : openssl.error?.message, `openssl verify: ${openssl.output}`).to.equal(opensslExpected);

        const node = await nodeClientVerdictOf({ chainPem, keyPem: leaf.keyPem }, [root.certPem]);
        if (c.nodeSays === 'ok') expect(node.code, 'node:tls (a documented difference)').to.equal('ok');
        else if (c.nodeSays !== undefined) expect(node, 'node:tls refuses too').to.deep.equal({ code: ours.ok ? 'ok' : ours.code, message: c.nodeSays });
        else expect(ours.ok ? { code: 'ok' } : { code: ours.code, message: ours.message }, 'node:tls').to.deep.equal(node);
      });
    }
  }

  describe('name constraints (RFC 5280 §4.2.1.10)', () => verdictsAgree(cases));
  describe('certificate policies (RFC 5280 §6.1, as openssl verify -policy_check)', () => verdictsAgree(policyCases));
  describe('Netscape certificate type and critical extensions not processed', () => verdictsAgree(otherCases));

  it('our client refuses a server whose chain breaks a constraint, with the error node:tls gives', async () => {
    const { root, leaf, chainPem } = build(cases.find((c) => c.name.includes('localhost is outside'))!);
    const node = await nodeClientVerdictOf({ chainPem, keyPem: leaf.keyPem }, [root.certPem]);
    const server = createServer({ cert: chainPem, key: leaf.keyPem }, (s) => {
      s.on('error', () => {});
      s.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const result = await new Promise<{ code: string; message?: string }>((resolve) => {
        const client = connect({ port, host: '127.0.0.1', ca: [root.certPem], checkServerIdentity: () => undefined });
        client.on('secureConnect', () => {
          client.destroy();
          resolve({ code: 'ok' });
        });
        client.on('error', (e: NodeJS.ErrnoException) => resolve({ code: String(e.code), message: e.message }));
      });
      expect(node.code).to.not.equal('ok');
      expect(result).to.deep.equal(node);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
