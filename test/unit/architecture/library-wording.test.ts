// The library returns data and typed errors; the CLI composes hints (issue 11, docs/architecture.md). Pins the bug
// where src/errors.ts and src/client|transport|protocol held CLI advice (`meshctl work list`, `point --socket
// at…`, `check --rootcas…`, `MESHCTL_DEBUG=wire`): every string literal of those files is read with the
// TypeScript parser (comments are free to name the CLI) and none may name a meshctl command, a flag or a
// MESHCTL_ variable.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src');

/** What reads as CLI wording inside a string: a meshctl command, a long flag, an environment variable of the CLI. */
const CLI_WORDING = [/\bmeshctl [a-z]/, /(^|[\s(`'"=[,])--[a-z][a-z-]*/, /\bMESHCTL_[A-Z]/];

// Error messages (not hints) whose exact text users see and test/e2e/tls.test.ts and
// test/integration/client/tls.test.ts pin: moving their advice into the hint would change the line users read.
const ALLOWED = new Set([
  'transport/tls-errors.ts: the client key is encrypted (meshctl needs an unencrypted key)',
  'transport/tls-errors.ts: server requires a client certificate (pass --cert and --key)',
]);

function stringsOf(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) {
      out.push(n.text);
    }
    // Import specifiers are module paths, not wording.
    if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) return;
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** `file: literal` for each string literal of `text` that holds CLI wording. */
function cliWording(file: string, text: string): string[] {
  return stringsOf(file, text)
    .filter((s) => CLI_WORDING.some((re) => re.test(s)))
    .map((s) => `${file}: ${s}`);
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('library wording', () => {
  it('library wording - the check finds a flag, a command and a variable in strings, not in comments', () => {
    const src = [
      '// point --socket at it; see meshctl work list; MESHCTL_DEBUG=wire',
      "const a = { hint: 'point --socket at the control-service filename' };",
      'const b = `list units with `;',
      'const c = `see \\`meshctl work status ${id}\\``;',
      "const d = 'run with MESHCTL_DEBUG=wire';",
      "const e = 'tls: bad (tls://host:1) -- over tcp-listener'; // no flag here",
    ].join('\n');
    expect(cliWording('x.ts', src)).toEqual([
      'x.ts: point --socket at the control-service filename',
      'x.ts: see `meshctl work status ',
      'x.ts: run with MESHCTL_DEBUG=wire',
    ]);
  });

  it('library wording - src/client, src/transport, src/protocol and src/errors.ts hold no CLI wording (issue 11: hints in the library)', () => {
    const files = [...['client', 'transport', 'protocol'].flatMap((d) => tsFiles(join(SRC, d))), join(SRC, 'errors.ts')];
    expect(files.length).toBeGreaterThan(10);
    const found = files
      .flatMap((f) => cliWording(relative(SRC, f), readFileSync(f, 'utf8')))
      .filter((w) => !ALLOWED.has(w));
    expect(found).toEqual([]);
    // The allowed messages still exist (else the exception is stale and must go).
    const all = files.flatMap((f) => stringsOf(relative(SRC, f), readFileSync(f, 'utf8')).map((s) => `${relative(SRC, f)}: ${s}`));
    for (const a of ALLOWED) expect(all).toContain(a);
  });
});
