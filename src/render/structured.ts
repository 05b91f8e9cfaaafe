// --json and --yaml: the node's reply as it came (key order kept), as exactly one document.
//
// The data stays exact, but no terminal control character reaches stdout raw (src/printable.ts): JSON.stringify
// escapes C0 controls and the yaml package double-quotes and escapes them, yet both write DEL, the C1 controls
// (0x9b is CSI), the bidirectional controls and U+2028/U+2029 as they are. Those are written as \u escapes here,
// which every JSON and YAML reader turns back into the same characters.
import { escapeBeyondC0, hasUnsafeBeyondC0 } from '../printable.js';

export type OutputFormat = 'human' | 'json' | 'yaml';

export function toJson(data: unknown): string {
  // Outside strings JSON text is ASCII punctuation, digits, literals and layout: these characters can only be
  // inside a string, where a \u escape means the same.
  return escapeBeyondC0(JSON.stringify(data, null, 2)) + '\n';
}

export async function toYaml(data: unknown): Promise<string> {
  const { Document, visit } = await import('yaml');
  const doc = new Document(data);
  let unsafe = false;
  visit(doc, {
    Scalar(_key, node) {
      // Only a double-quoted scalar can carry escapes: put every string (key or value) with such characters in one.
      if (typeof node.value === 'string' && hasUnsafeBeyondC0(node.value)) {
        node.type = 'QUOTE_DOUBLE';
        unsafe = true;
      }
    },
  });
  const text = doc.toString();
  return unsafe ? escapeBeyondC0(text) : text;
}

export async function formatStructured(format: 'json' | 'yaml', data: unknown): Promise<string> {
  return format === 'json' ? toJson(data) : toYaml(data);
}
