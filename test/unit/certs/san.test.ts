// subjectAltName encoding and decoding, checked against bytes written out by hand here (and Receptor's
// own test vector, pkg/utils/other_name_test.go TestMakeReceptorSAN), never against our own encoder.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { readTlv } from '../../../src/certs/der.js';
import {
  decodeSubjectAltName,
  encodeNodeIdGeneralName,
  encodeSubjectAltName,
  ipToBytes,
  normalizeIp,
} from '../../../src/certs/san.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// otherName for node ID "node1":
//   A0 14                       [0] otherName, 20 bytes
//     06 09 2B0601040192081301  OID 1.3.6.1.4.1.2312.19.1
//     A0 07                     [0] EXPLICIT
//       0C 05 6E6F646531        UTF8String "node1"
const NODE1_OTHERNAME = 'a014 06092b0601040192081301 a007 0c056e6f646531';

describe('san encoding', () => {
  it('san - node ID is an otherName with an explicit [0] UTF8String', () => {
    expect(toHex(encodeNodeIdGeneralName('node1'))).toBe(NODE1_OTHERNAME.replace(/\s+/g, ''));
  });

  it("san - matches Receptor's MakeReceptorSAN test vector byte for byte", () => {
    // pkg/utils/other_name_test.go: dns hybrid_node1, ip 192.168.4.1, node ID hybrid_node1.
    const expected = Uint8Array.from([
      48, 49, 130, 12, 104, 121, 98, 114, 105, 100, 95, 110, 111, 100, 101, 49, 135, 4, 192, 168, 4, 1, 160, 27, 6, 9, 43, 6, 1, 4, 1,
      146, 8, 19, 1, 160, 14, 12, 12, 104, 121, 98, 114, 105, 100, 95, 110, 111, 100, 101, 49,
    ]);
    const got = encodeSubjectAltName({ dnsNames: ['hybrid_node1'], ipAddresses: ['192.168.4.1'], nodeIds: ['hybrid_node1'] });
    expect(toHex(got)).toBe(toHex(expected));
  });

  it('san - writes names in Receptor order: DNS, IP, node ID, whatever the input order', () => {
    const got = encodeSubjectAltName({ nodeIds: ['node1'], ipAddresses: ['::1'], dnsNames: ['a'] });
    expect(toHex(got)).toBe(
      toHex(hex(`30 2b  82 01 61  87 10 00000000000000000000000000000001  ${NODE1_OTHERNAME}`)),
    );
  });

  it('san - non-ASCII node IDs are UTF-8 inside the UTF8String', () => {
    const got = encodeNodeIdGeneralName('nœud');
    // "nœud" = 6E C5 93 75 64 (5 bytes)
    expect(toHex(got)).toBe(toHex(hex('a014 06092b0601040192081301 a007 0c056ec5937564')));
  });

  it('san - long SAN uses a long-form length', () => {
    const many = Array.from({ length: 20 }, (_, i) => `node-${i}.example.com`);
    const got = encodeSubjectAltName({ dnsNames: many });
    expect(got[0]).toBe(0x30);
    expect(got[1]).toBe(0x82); // two length octets follow
    expect((got[2]! << 8) | got[3]!).toBe(got.length - 4);
    expect(decodeSubjectAltName(got).dnsNames).toEqual(many);
  });
});

describe('san ip addresses', () => {
  it('san - IPv4 is 4 bytes, IPv6 16 bytes', () => {
    expect(toHex(ipToBytes('10.1.2.3'))).toBe('0a010203');
    expect(toHex(ipToBytes('fe80::1:2'))).toBe('fe800000000000000000000000010002');
    expect(toHex(ipToBytes('2001:db8::'))).toBe('20010db8000000000000000000000000');
    expect(toHex(ipToBytes('::'))).toBe('00000000000000000000000000000000');
  });

  it('san - IPv4-mapped IPv6 becomes 4 bytes, as Go To4() makes it', () => {
    expect(toHex(ipToBytes('::ffff:192.168.4.1'))).toBe('c0a80401');
    expect(toHex(ipToBytes('::FFFF:c0a8:0401'))).toBe('c0a80401');
  });

  it('san - IPv6 with an embedded dotted quad is expanded', () => {
    expect(toHex(ipToBytes('64:ff9b::192.0.2.33'))).toBe('0064ff9b0000000000000000c0000221');
  });

  it('san - normalizeIp gives the canonical text', () => {
    expect(normalizeIp('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(normalizeIp('2001:DB8:0:0:1::1')).toBe('2001:db8::1:0:0:1');
    expect(normalizeIp('127.0.0.1')).toBe('127.0.0.1');
  });

  it('san - rejects what is not an IP literal, quoting it', () => {
    for (const bad of ['localhost', '1.2.3', '::1%eth0', '256.1.1.1', '']) {
      expect(() => ipToBytes(bad)).toThrow(UsageError);
      expect(() => ipToBytes(bad)).toThrow(`invalid IP address '${bad}'`);
    }
  });

  it('san - rejects non-ASCII DNS names and empty or spaced node IDs', () => {
    expect(() => encodeSubjectAltName({ dnsNames: ['bücher.example'] })).toThrow("invalid DNS name 'bücher.example'");
    expect(() => encodeSubjectAltName({ nodeIds: [''] })).toThrow("invalid node ID ''");
    expect(() => encodeSubjectAltName({ nodeIds: ['a b'] })).toThrow("invalid node ID 'a b'");
  });
});

describe('san decoding', () => {
  it('san - decodes DNS, IPv4, IPv6 and node IDs from hand-built bytes', () => {
    const der = hex(`30 31  82 01 61  87 04 7f000001  87 10 00000000000000000000000000000001  ${NODE1_OTHERNAME}`);
    expect(decodeSubjectAltName(der)).toEqual({
      dnsNames: ['a'],
      ipAddresses: ['127.0.0.1', '::1'],
      nodeIds: ['node1'],
      emails: [],
      uris: [],
      others: [],
    });
  });

  it('san - reads a node ID held as PrintableString too (Go accepts it)', () => {
    const der = hex('30 16  a0 14 06092b0601040192081301 a007 13056e6f646531');
    expect(decodeSubjectAltName(der).nodeIds).toEqual(['node1']);
  });

  it('san - other otherNames, emails and URIs are reported apart from node IDs', () => {
    // otherName 1.3.6.1.4.1.311.20.2.3 (UPN) "u@x", rfc822Name "a@b", URI "s:x"
    const der = hex('30 1d  a0 11 060a2b060104018237140203 a003 0c0175  81 03 614062  86 03 733a78');
    const got = decodeSubjectAltName(der);
    expect(got.nodeIds).toEqual([]);
    expect(got.emails).toEqual(['a@b']);
    expect(got.uris).toEqual(['s:x']);
    expect(got.others).toEqual(['othername:1.3.6.1.4.1.311.20.2.3']);
  });

  it('san - truncated input is an EBADFILE error, not a crash', () => {
    const der = hex(`30 31  82 01 61  87 04 7f0000`);
    expect(() => decodeSubjectAltName(der)).toThrow(/malformed DER/);
    expect(() => readTlv(hex('30'))).toThrow(/malformed DER/);
    expect(() => readTlv(hex('3080 0000'))).toThrow(/indefinite/);
  });
});
