// parseFirewallRules and firewallDecision against receptor 1.6.5's ParseFirewallRules / handleMessageData
// (pkg/netceptor/firewall_rules.go). The error texts are the ones the real binary prints for the same YAML
// (checked by test/interop/firewall-vs-receptor.test.ts).
import { describe, expect, it } from 'vitest';
import { firewallDecision, parseFirewallRules, type MessageAddress } from '../../../src/node/mesh/firewall.js';

const msg = (fromNode: string, toNode: string, fromService = 'x', toService = 'ping'): MessageAddress => ({ fromNode, fromService, toNode, toService });
const decide = (rules: Record<string, unknown>[], m: MessageAddress): string => firewallDecision(parseFirewallRules(rules).rules, m);

describe('firewall rules', () => {
  it("firewall - receptor's errors: unknown action (also a missing one), unknown key, a value that is not a string, with the rule's index", () => {
    expect(() => parseFirewallRules([{ action: 'foo' }])).toThrow(/^error in rule 0: unknown action: foo$/);
    expect(() => parseFirewallRules([{ tonode: 'a' }])).toThrow(/^error in rule 0: unknown action: $/);
    expect(() => parseFirewallRules([{ action: 'accept' }, { action: 'drop', bogus: 'x' }])).toThrow(/^error in rule 1: invalid firewall rule\. unknown key: bogus$/);
    expect(() => parseFirewallRules([{ action: 'drop', tonode: 5 }])).toThrow(/^error in rule 0: invalid firewall rule\. tonode must be a string$/);
  });

  it('firewall - a pattern that is just / is refused (receptor 1.6.5 panics on it)', () => {
    expect(() => parseFirewallRules([{ action: 'drop', fromnode: '/' }])).toThrow(/^error in rule 0: invalid firewall rule\. fromnode pattern "\/" is not a regex/);
  });

  it('firewall - no rule, or no rule matching, accepts; a rule without patterns matches everything', () => {
    expect(decide([], msg('a', 'b'))).toBe('accept');
    expect(decide([{ action: 'drop', fromnode: 'z' }], msg('a', 'b'))).toBe('accept');
    expect(decide([{ action: 'Reject' }], msg('a', 'b'))).toBe('reject');
  });

  it('firewall - every pattern of a rule must match; the first matching rule decides', () => {
    const rules = [{ action: 'accept', fromnode: 'a', toservice: 'ping' }, { action: 'drop', tonode: 'b' }];
    expect(decide(rules, msg('a', 'b'))).toBe('accept');
    expect(decide(rules, msg('a', 'b', 'x', 'control'))).toBe('drop');
    expect(decide(rules, msg('c', 'b'))).toBe('drop');
    expect(decide([{ action: 'drop', fromservice: 'x', toservice: 'y' }], msg('a', 'b', 'x', 'ping'))).toBe('accept');
  });

  it('firewall - literals compare whole; /re/ becomes ^re$ with the alternation unparenthesised, as receptor builds it', () => {
    expect(decide([{ action: 'drop', fromnode: 'a' }], msg('ab', 'b'))).toBe('accept');
    expect(decide([{ action: 'drop', fromnode: '/a/' }], msg('ab', 'b'))).toBe('accept');
    expect(decide([{ action: 'drop', fromnode: '/a.*/' }], msg('ab', 'b'))).toBe('drop');
    // ^a|x$: starts with a, or ends with x.
    expect(decide([{ action: 'drop', fromnode: '/a|x/' }], msg('abc', 'b'))).toBe('drop');
    expect(decide([{ action: 'drop', fromnode: '/a|x/' }], msg('zzx', 'b'))).toBe('drop');
    expect(decide([{ action: 'drop', fromnode: '/a|x/' }], msg('xa', 'b'))).toBe('accept');
    expect(decide([{ action: 'drop', fromnode: '/(a|x)/' }], msg('abc', 'b'))).toBe('accept');
  });

  it("firewall - Go's leading (?i) flag and (?P<name>) groups work", () => {
    expect(decide([{ action: 'drop', tonode: '/(?i)NODE-\\d+/' }], msg('a', 'node-12'))).toBe('drop');
    expect(decide([{ action: 'drop', tonode: '/(?P<n>node)-1/' }], msg('a', 'node-1'))).toBe('drop');
  });

  it('firewall - a pattern not enclosed in // or a regex that does not compile is ignored with a warning, so the rest of the rule decides (receptor: buildComp drops it)', () => {
    const p = parseFirewallRules([{ action: 'drop', fromnode: '/a', tonode: 'b' }, { action: 'reject', fromnode: '/(/' }]);
    expect(p.warnings).toHaveLength(2);
    expect(p.warnings[0]).toMatch(/^firewall rule 0: fromnode pattern \/a is not enclosed in \/\/; receptor ignores it/);
    expect(p.warnings[1]).toMatch(/^firewall rule 1: fromnode regex \/\(\/ does not compile; receptor ignores it/);
    expect(firewallDecision(p.rules, msg('zzz', 'b'))).toBe('drop');
    expect(firewallDecision(p.rules, msg('zzz', 'c'))).toBe('reject');
  });

  it('firewall - an empty pattern is no condition', () => {
    expect(decide([{ action: 'drop', fromnode: '', tonode: 'b' }], msg('a', 'b'))).toBe('drop');
  });
});
