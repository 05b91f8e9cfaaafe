// Receptor's firewall rules (node `firewallrules`, pkg/netceptor/firewall_rules.go, applied in
// pkg/netceptor/netceptor.go handleMessageData). Each rule is a map of optional `fromnode`, `tonode`,
// `fromservice`, `toservice` patterns and a required `action` (accept, reject or drop; keys and action are
// case-insensitive). A pattern is a literal compared for equality, or `/regex/`, compiled as `^regex$` (the
// slashes replaced by the anchors, so `/a|b/` is `^a|b$`: anything starting with a or ending with b, as in
// receptor). A rule matches when all its patterns match; no pattern matches everything. The first rule that
// matches decides; no match accepts.
//
// Where receptor applies them: every data message this node originates, delivers or forwards goes through
// handleMessageData, which checks the rules before anything else (before the hop count and the routing
// table). Drop discards the message; reject discards it and sends an `unreach` message with the problem
// "blocked by firewall" to the message's FromNode (never in answer to an `unreach` message). Routing updates
// and service adverts are not data messages: rules never cut the mesh itself.
//
// Receptor quirks followed: a pattern that starts with `/` but does not end with one, or whose regex does not
// compile, is dropped from the rule without a word (buildComp ignores regexCompare's error), so the rest of
// the rule decides alone. meshctl logs a warning for it. Regexes run as JavaScript RegExps (leading (?i)-style
// flags and (?P<name> translated); one only Go's RE2 compiles is treated as one that does not compile. A pattern that is just `/` makes receptor 1.6.5 panic
// (slice bounds out of range); meshctl refuses it with an error instead.

/** Receptor's FirewallResult. */
export type FirewallAction = 'accept' | 'reject' | 'drop';

/** The addresses of one data message (Receptor's MessageData fields the rules read). */
export interface MessageAddress {
  fromNode: string;
  fromService: string;
  toNode: string;
  toService: string;
}

type Field = keyof MessageAddress;

const FIELDS: Record<string, Field> = { fromnode: 'fromNode', tonode: 'toNode', fromservice: 'fromService', toservice: 'toService' };

export interface FirewallRule {
  action: FirewallAction;
  /** The patterns in effect (a dropped pattern is absent). */
  match: (m: MessageAddress) => boolean;
  /** The rule as written, for messages. */
  text: string;
}

export interface ParsedFirewall {
  rules: FirewallRule[];
  /** Patterns receptor drops from their rule without a word (see the file comment). */
  warnings: string[];
}

/**
 * A Go RE2 pattern as a JavaScript RegExp: leading inline flags `(?i)`, `(?s)`, `(?m)` become RegExp flags and
 * `(?P<name>` becomes `(?<name>`; anything else is given to RegExp as written. Returns undefined when JavaScript
 * cannot compile it.
 */
function compileGoRegex(inner: string): RegExp | undefined {
  let flags = '';
  let body = inner;
  const lead = /^\(\?([ims]+)\)/.exec(body);
  if (lead) {
    flags = [...new Set(lead[1])].join('');
    body = body.slice(lead[0].length);
  }
  body = body.replace(/\(\?P</g, '(?<');
  try {
    return new RegExp(`^${body}$`, flags);
  } catch {
    return undefined;
  }
}

function goValueText(v: unknown): string {
  // fmt's %s of a non-string value, as ParseFirewallRule's caller would show it.
  if (typeof v === 'number') return `%!s(float64=${v})`;
  if (typeof v === 'boolean') return `%!s(bool=${v})`;
  return String(v);
}

/**
 * Parses `firewallrules` as NodeCfg.Init does (ParseFirewallRules). Throws an Error with receptor's text:
 * `error in rule N: unknown action: X`, `error in rule N: invalid firewall rule. unknown key: K`,
 * `error in rule N: invalid firewall rule. K must be a string`.
 */
export function parseFirewallRules(data: readonly Record<string, unknown>[]): ParsedFirewall {
  const rules: FirewallRule[] = [];
  const warnings: string[] = [];
  data.forEach((rule, i) => {
    const fail = (why: string): never => {
      throw new Error(`error in rule ${i}: ${why}`);
    };
    let action = '';
    const comps: ((m: MessageAddress) => boolean)[] = [];
    const written: string[] = [];
    // Receptor walks the map in Go's random order and stops at the first bad key; YAML order here.
    for (const [key, value] of Object.entries(rule)) {
      if (typeof value !== 'string') fail(`invalid firewall rule. ${key} must be a string`);
      const val = value as string;
      const k = key.toLowerCase();
      if (k === 'action') {
        action = val;
        written.push(`${key}: ${val}`);
        continue;
      }
      const field = FIELDS[k];
      if (field === undefined) fail(`invalid firewall rule. unknown key: ${key}`);
      written.push(`${key}: ${val}`);
      if (val === '') continue; // buildComp: an empty pattern is no condition
      if (!val.startsWith('/')) {
        comps.push((m) => m[field!] === val);
        continue;
      }
      if (val === '/') fail(`invalid firewall rule. ${key} pattern "/" is not a regex enclosed in // (receptor 1.6.5 panics on it)`);
      if (!val.endsWith('/')) {
        warnings.push(`firewall rule ${i}: ${key} pattern ${val} is not enclosed in //; receptor ignores it, so the rule applies whatever the ${key}`);
        continue;
      }
      const inner = val.slice(1, -1);
      const re = compileGoRegex(inner);
      if (re === undefined) {
        // regexCompare fails and buildComp ignores it. (A pattern only RE2 takes would be a condition in
        // receptor: the warning says so.)
        warnings.push(`firewall rule ${i}: ${key} regex ${val} does not compile; receptor ignores it, so the rule applies whatever the ${key}`);
        continue;
      }
      comps.push((m) => re.test(m[field!]));
    }
    const a = action.toLowerCase();
    if (a !== 'accept' && a !== 'reject' && a !== 'drop') fail(`unknown action: ${goValueText(action)}`);
    rules.push({ action: a as FirewallAction, match: (m) => comps.every((c) => c(m)), text: `{${written.join(', ')}}` });
  });
  return { rules, warnings };
}

/** handleMessageData's loop: the first rule that matches decides; none matching accepts. */
export function firewallDecision(rules: readonly FirewallRule[], m: MessageAddress): FirewallAction {
  for (const r of rules) if (r.match(m)) return r.action;
  return 'accept';
}
