// Advice for the node's refusals, looked up by the node's own text. The library keeps that text verbatim
// (ServerError.serverMessage) and only names what was asked; what to do about it is the CLI's to say, and the
// node's text must stay Receptor's exact words (scripts match on them), so the advice goes in the hint.
import type { ServerError } from '../errors.js';

const HINTS: readonly (readonly [RegExp, string])[] = [
  // pkg/workceptor/command.go (SetFromParams): runtime parameters (CMDPARAMS, `-a params=...`) are refused unless
  // the work-command entry says allowruntimeparams.
  [
    /^extra params provided but not allowed$/,
    "the node's work-command entry for this work type does not set allowruntimeparams: true; " +
      'drop the extra parameters (CMDPARAMS, -a params=...) or set it in the node\'s configuration',
  ],
  // pkg/netceptor/netceptor.go: no route to the named node (a typo, or a node that left the mesh).
  [/^no route to node$/, 'check the node name: `meshctl status` lists the nodes this one can reach'],
  // pkg/netceptor/netceptor.go ProblemServiceUnknown: the node is reached but has no such service.
  [/^service unknown$/, "check the service name: `meshctl status` lists each node's services"],
];

/** The hint for a refusal the CLI has advice for, else undefined. */
export function serverHint(err: ServerError): string | undefined {
  for (const [pattern, hint] of HINTS) if (pattern.test(err.serverMessage)) return hint;
  return undefined;
}
