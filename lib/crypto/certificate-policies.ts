// Certificate policy processing (RFC 5280 §6.1.2–§6.1.5) with the default inputs a TLS client
// has: user-initial-policy-set = {anyPolicy}, and explicit policy, policy mapping and anyPolicy
// not inhibited at the start. A path then fails only where its CAs ask for it: a
// requireExplicitPolicy that comes due while no policy is valid for the whole path, or policy
// extensions that are malformed. inhibitAnyPolicy and inhibitPolicyMapping shape which policies
// stay valid. This is what `openssl verify -policy_check` computes (crypto/x509/pcy_tree.c).

import * as der from './der.js';

export const ANY_POLICY = '2.5.29.32.0';

/** The policy extensions of one certificate (undefined: the extension is absent). */
export interface PolicyExtensions {
  /** certificatePolicies (§4.2.1.4): the policy OIDs. */
  readonly policies?: readonly string[];
  /** policyMappings (§4.2.1.5): issuerDomainPolicy → subjectDomainPolicy pairs. */
  readonly mappings?: readonly (readonly [string, string])[];
  /** policyConstraints (§4.2.1.11). */
  readonly requireExplicitPolicy?: number;
  readonly inhibitPolicyMapping?: number;
  /** inhibitAnyPolicy (§4.2.1.14): SkipCerts. */
  readonly inhibitAnyPolicy?: number;
  /** A policy extension could not be read or breaks a MUST of RFC 5280. */
  readonly invalid: boolean;
}

export type PolicyVerdict = 'ok' | 'NO_EXPLICIT_POLICY' | 'INVALID_POLICY_EXTENSION';

/** One certificate of the path, for policy processing. */
export interface PolicyCert {
  readonly policy: PolicyExtensions;
  readonly selfIssued: boolean;
}

const OID = {
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  policyConstraints: '2.5.29.36',
  inhibitAnyPolicy: '2.5.29.54',
} as const;

export const POLICY_EXTENSION_OIDS: ReadonlySet<string> = new Set(Object.values(OID));

/** Accumulates the policy extensions of a certificate while its extensions are read. */
export class PolicyExtensionReader {
  private policies?: string[];
  private mappings?: [string, string][];
  private requireExplicitPolicy?: number;
  private inhibitPolicyMapping?: number;
  private inhibitAnyPolicy?: number;
  private invalid = false;

  /** Reads `value` if `oid` is a policy extension; returns whether it was one. */
  read(oid: string, value: der.DerNode): boolean {
    if (!POLICY_EXTENSION_OIDS.has(oid)) return false;
    try {
      this.readExtension(oid, value);
    } catch {
      this.invalid = true;
    }
    return true;
  }

  result(): PolicyExtensions {
    return {
      ...(this.policies === undefined ? {} : { policies: this.policies }),
      ...(this.mappings === undefined ? {} : { mappings: this.mappings }),
      ...(this.requireExplicitPolicy === undefined ? {} : { requireExplicitPolicy: this.requireExplicitPolicy }),
      ...(this.inhibitPolicyMapping === undefined ? {} : { inhibitPolicyMapping: this.inhibitPolicyMapping }),
      ...(this.inhibitAnyPolicy === undefined ? {} : { inhibitAnyPolicy: this.inhibitAnyPolicy }),
      invalid: this.invalid,
    };
  }

  private readExtension(oid: string, value: der.DerNode): void {
    switch (oid) {
      case OID.certificatePolicies: {
        // §4.2.1.4: SEQUENCE SIZE (1..MAX) OF PolicyInformation; "a policy OID MUST NOT appear
        // more than once".
        const ids = der.children(der.expectTag(value, der.Tag.SEQUENCE, 'certificatePolicies'))
          .map((info) => der.readOid(der.children(der.expectTag(info, der.Tag.SEQUENCE, 'PolicyInformation'))[0]!));
        if (ids.length === 0 || new Set(ids).size !== ids.length) this.invalid = true;
        this.policies = ids;
        break;
      }
      case OID.policyMappings: {
        // §4.2.1.5: neither side may be anyPolicy.
        this.mappings = der.children(der.expectTag(value, der.Tag.SEQUENCE, 'policyMappings')).map((m) => {
          const [issuer, subject] = der.children(der.expectTag(m, der.Tag.SEQUENCE, 'PolicyMapping'));
          const pair: [string, string] = [der.readOid(issuer!), der.readOid(subject!)];
          if (pair[0] === ANY_POLICY || pair[1] === ANY_POLICY) this.invalid = true;
          return pair;
        });
        if (this.mappings.length === 0) this.invalid = true;
        break;
      }
      case OID.policyConstraints: {
        // §4.2.1.11: at least one of requireExplicitPolicy [0] / inhibitPolicyMapping [1].
        const fields = der.children(der.expectTag(value, der.Tag.SEQUENCE, 'PolicyConstraints'));
        if (fields.length === 0) this.invalid = true;
        for (const f of fields) {
          const skip = skipCerts(f.content);
          if (f.tag === der.contextTag(0, false)) this.requireExplicitPolicy = skip;
          else if (f.tag === der.contextTag(1, false)) this.inhibitPolicyMapping = skip;
          else this.invalid = true;
        }
        break;
      }
      case OID.inhibitAnyPolicy:
        this.inhibitAnyPolicy = der.readSmallInteger(der.expectTag(value, der.Tag.INTEGER, 'SkipCerts'));
        break;
      default:
        break;
    }
  }
}

/** SkipCerts ::= INTEGER (0..MAX), here as IMPLICIT content; large values mean "never". */
function skipCerts(content: Uint8Array): number {
  if (content.length === 0 || (content[0]! & 0x80) !== 0) throw new der.DerError('bad SkipCerts');
  return content.length > 4 ? Number.MAX_SAFE_INTEGER : content.reduce((v, b) => v * 256 + b, 0);
}

/** A node of the deepest level of valid_policy_tree (§6.1.2 (a)); `parent` identifies the node
 *  above it, so that (d)(2) can add the policies a parent expects and no child covers yet. */
interface PolicyNode {
  readonly validPolicy: string;
  expectedPolicySet: Set<string>;
  readonly parent: number;
}

/** RFC 5280 §6.1 policy processing over `path` (leaf first, trust anchor last; the anchor's own
 *  extensions are not used, §6.1.1 (d)). */
export function checkPolicies(path: readonly PolicyCert[]): PolicyVerdict {
  const certs = path.slice(0, -1).reverse(); // cert 1 (issued by the anchor) … cert n (leaf)
  const n = certs.length;
  if (n === 0) return 'ok';
  if (certs.some((c) => c.policy.invalid)) return 'INVALID_POLICY_EXTENSION';

  // §6.1.2 initialisation
  let level: PolicyNode[] | null = [{ validPolicy: ANY_POLICY, expectedPolicySet: new Set([ANY_POLICY]), parent: -1 }];
  let explicitPolicy = n + 1;
  let inhibitAnyPolicy = n + 1;
  let policyMapping = n + 1;

  for (let i = 1; i <= n; i++) {
    const cert = certs[i - 1]!;
    const { policy } = cert;
    // §6.1.3 (d), (e)
    if (level !== null && policy.policies !== undefined) {
      level = nextLevel(level, policy.policies, inhibitAnyPolicy > 0 || (i < n && cert.selfIssued));
    } else {
      level = null;
    }
    // §6.1.3 (f)
    if (explicitPolicy === 0 && level === null) return 'NO_EXPLICIT_POLICY';
    if (i === n) break;

    // §6.1.4 (a), (b): policy mappings
    if (policy.mappings !== undefined && level !== null) level = applyMappings(level, policy.mappings, policyMapping > 0);
    // §6.1.4 (h), (i), (j)
    if (!cert.selfIssued) {
      if (explicitPolicy > 0) explicitPolicy--;
      if (policyMapping > 0) policyMapping--;
      if (inhibitAnyPolicy > 0) inhibitAnyPolicy--;
    }
    if (policy.requireExplicitPolicy !== undefined) explicitPolicy = Math.min(explicitPolicy, policy.requireExplicitPolicy);
    if (policy.inhibitPolicyMapping !== undefined) policyMapping = Math.min(policyMapping, policy.inhibitPolicyMapping);
    if (policy.inhibitAnyPolicy !== undefined) inhibitAnyPolicy = Math.min(inhibitAnyPolicy, policy.inhibitAnyPolicy);
  }

  // §6.1.5 wrap-up (a), (b); (g) intersects with {anyPolicy}, which keeps the tree as it is.
  const leaf = certs[n - 1]!.policy;
  if (explicitPolicy > 0) explicitPolicy--;
  if (leaf.requireExplicitPolicy === 0) explicitPolicy = 0;
  return explicitPolicy > 0 || level !== null ? 'ok' : 'NO_EXPLICIT_POLICY';
}

/** §6.1.3 (d)(1)–(3): the nodes at depth i for a certificate asserting `policies`; null when
 *  none (the tree is pruned to nothing). */
function nextLevel(level: readonly PolicyNode[], policies: readonly string[], anyPolicyAllowed: boolean): PolicyNode[] | null {
  const out: PolicyNode[] = [];
  const childOf = new Map<number, Set<string>>();
  const add = (parent: number, policy: string): void => {
    let seen = childOf.get(parent);
    if (seen === undefined) childOf.set(parent, (seen = new Set()));
    if (seen.has(policy)) return;
    seen.add(policy);
    out.push({ validPolicy: policy, expectedPolicySet: new Set([policy]), parent });
  };
  for (const p of policies) {
    if (p === ANY_POLICY) continue;
    // (d)(1)(i): under every parent that expects p; (ii) else under anyPolicy parents.
    const matching = level.flatMap((node, k) => (node.expectedPolicySet.has(p) ? [k] : []));
    const parents = matching.length > 0 ? matching : level.flatMap((node, k) => (node.validPolicy === ANY_POLICY ? [k] : []));
    for (const k of parents) add(k, p);
  }
  if (policies.includes(ANY_POLICY) && anyPolicyAllowed) {
    // (d)(2): every policy a parent expects and no child of it covers yet.
    level.forEach((node, k) => {
      for (const p of node.expectedPolicySet) {
        if (!childOf.get(k)?.has(p)) add(k, p);
      }
    });
  }
  return out.length > 0 ? out : null;
}

/** §6.1.4 (b): with mapping allowed, a node's expected policies become the subject-domain
 *  policies its policy maps to (an anyPolicy node lends a new sibling to a mapped policy absent
 *  at this depth); with mapping inhibited, nodes of mapped policies are deleted. */
function applyMappings(level: PolicyNode[], mappings: readonly (readonly [string, string])[], allowed: boolean): PolicyNode[] | null {
  const mapped = new Map<string, Set<string>>();
  for (const [issuerPolicy, subjectPolicy] of mappings) {
    let set = mapped.get(issuerPolicy);
    if (set === undefined) mapped.set(issuerPolicy, (set = new Set()));
    set.add(subjectPolicy);
  }
  if (!allowed) {
    const kept = level.filter((node) => !mapped.has(node.validPolicy));
    return kept.length > 0 ? kept : null;
  }
  const out = [...level];
  const anyNode = level.find((node) => node.validPolicy === ANY_POLICY);
  for (const [issuerPolicy, subjects] of mapped) {
    const nodes = out.filter((node) => node.validPolicy === issuerPolicy);
    if (nodes.length > 0) {
      for (const node of nodes) node.expectedPolicySet = new Set(subjects);
    } else if (anyNode !== undefined) {
      out.push({ validPolicy: issuerPolicy, expectedPolicySet: new Set(subjects), parent: anyNode.parent });
    }
  }
  return out;
}
