/**
 * src/model/ipLiteral.ts is the schema's IP rule (IP_PATTERN) without compiling the pattern:
 * the two must agree on every string. Held here on hand-picked edges and on a generated corpus
 * (seeded: the same strings every run) of near-addresses: the alphabet of addresses, every
 * group count around `::`, IPv4 tails, one character changed/added/removed.
 */
import { IP_PATTERN, schemaProblems } from '../../src/model/schema';
import { formats, ipLiteralFamily, isIpv4Literal, isIpv6Literal } from '../../src/model/ipLiteral';
import { referenceDeployment } from '../../src/model/reference';
import { prng } from '../helpers/fuzz';

const re = new RegExp(IP_PATTERN, 'u');

const EDGES = [
  '192.168.0.1', '0.0.0.0', '255.255.255.255', '256.1.1.1', '1.2.3.04', '01.2.3.4', '00.1.1.1', '1.2.3', '1.2.3.4.', '.1.2.3.4', '1..2.3',
  ' 1.2.3.4', '1.2.3.4\n', '1.2.3.4 ', '1.2.3.-4', '+1.2.3.4', '1.2.3.4/32', '१.2.3.4', '1.2.3.255', '1.2.3.25５',
  '::', '::1', '1::', '2001:db8::4', 'fe80::1', 'fe80::1%eth0', '::ffff:192.168.0.1', '::1.2.3.4', '1::1.2.3.4', '1.2.3.4::',
  '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7::8', '1::3:4:5:6:7:8',
  '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:1.2.3.4', '::3:4:5:6:1.2.3.4', '::2:3:4:5:6:1.2.3.4', '1::4:5:6:1.2.3.4', '1:2:3:4:5::1.2.3.4',
  '1:2:3:4:5:6::1.2.3.4', '1.2.3.4:1::', '1::2::3', ':::', '::::', '1:::2', ':1::2', '1::2:', ':1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:',
  '12345::', 'g::1', 'G::1', 'ABCD:ef01::', '[::1]', '', ':', '.', 'frontal1', '0:0:0:0:0:0:0:0', 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255',
  '1:2:3:4:5:6:7:1.2.3.4', '::1.2.3', '::1.2.3.4.5', '::01.2.3.4', '1:2:3:4:5:6:7:8\n',
];

function corpus(n: number): string[] {
  const r = prng(19);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const hex = [...'0123456789abcdefABCDEF'];
  const h16 = () => Array.from({ length: 1 + Math.floor(r() * (r() < 0.05 ? 6 : 4)) }, () => pick(hex)).join('');
  const octet = () => (r() < 0.1 ? pick(['00', '01', '256', '999', '']) : String(Math.floor(r() * 256)));
  const v4 = () => Array.from({ length: r() < 0.9 ? 4 : pick([3, 5]) }, octet).join('.');
  const groups = (k: number) => Array.from({ length: k }, h16).join(':');
  const out: string[] = [];
  while (out.length < n) {
    let s: string;
    const kind = r();
    if (kind < 0.2) s = v4();
    else if (kind < 0.45) s = r() < 0.3 ? `${groups(6)}:${v4()}` : groups(7 + Math.floor(r() * 3));
    else {
      const left = Math.floor(r() * 9);
      const right = Math.floor(r() * 9);
      const tail = r() < 0.3 ? v4() : '';
      const rs = [groups(right), tail].filter((x) => x !== '').join(':');
      s = `${groups(left)}::${rs}`;
    }
    // A near miss now and then: one character changed, added or dropped.
    if (r() < 0.3 && s.length > 0) {
      const i = Math.floor(r() * s.length);
      const c = pick(['', ':', '.', 'g', '0', '::', ' ', '%']);
      s = r() < 0.5 ? s.slice(0, i) + c + s.slice(i + 1) : s.slice(0, i) + c + s.slice(i);
    }
    out.push(s);
  }
  return out;
}

describe('ipLiteralFamily agrees with the schema pattern', () => {
  test.each(EDGES)('%j', (s) => {
    expect(ipLiteralFamily(s) !== 0).toBe(re.test(s));
    expect(formats.ip(s)).toBe(re.test(s));
  });

  test('on 60 000 generated near-addresses, both verdicts well represented', () => {
    const xs = corpus(60000);
    const disagree = xs.filter((s) => (ipLiteralFamily(s) !== 0) !== re.test(s));
    expect(disagree.slice(0, 5)).toEqual([]);
    // The corpus must hold both verdicts and both families, or it proves nothing.
    const fam = xs.map(ipLiteralFamily);
    expect(fam.filter((f) => f === 4).length).toBeGreaterThan(3000);
    expect(fam.filter((f) => f === 6).length).toBeGreaterThan(10000);
    expect(fam.filter((f) => f === 0).length).toBeGreaterThan(10000);
  });

  test('the family: 4 for a dotted quad, 6 for IPv6 (an IPv4 tail included), 0 otherwise', () => {
    expect(['192.168.0.3', '::ffff:192.168.0.3', '2001:db8::1', 'frontal1'].map(ipLiteralFamily)).toEqual([4, 6, 6, 0]);
    expect([isIpv4Literal('10.0.0.1'), isIpv4Literal('::1'), isIpv6Literal('::1'), isIpv6Literal('10.0.0.1')]).toEqual([true, false, true, false]);
  });
});

describe('the generated validator uses it', () => {
  test('a bad address is refused with the schema line, a good one of each family accepted', () => {
    const doc = JSON.parse(JSON.stringify(referenceDeployment));
    doc.directors[0].address = '192.168.0.256';
    doc.directors[1].address = 'fe80::1%eth0';
    expect(schemaProblems(doc)).toEqual([
      "directors[0].address: '192.168.0.256' is not a valid IP address",
      "directors[1].address: 'fe80::1%eth0' is not a valid IP address",
    ]);
    doc.directors[0].address = '2001:db8::1';
    doc.directors[1].address = '10.0.0.2';
    expect(schemaProblems(doc)).toEqual([]);
  });
});
