// The options that apply to every command, once resolved from the command line (src/cli/global-options.ts
// defines them with commander and resolves root vs leaf values). The Factory builds a command's connection,
// TLS material and output from them; commands never read them directly.

export interface GlobalOptions {
  /** --context NAME: a context of the contexts file (src/cmdutil/contexts/). */
  context?: string;
  socket?: string;
  config?: string;
  tlsClient?: string;
  rootcas?: string;
  cert?: string;
  key?: string;
  insecureskipverify: boolean;
  timeout?: string;
  debug: boolean;
  color: boolean;
}

/** All defaults: what a command run without any global flag sees. */
export function defaultGlobals(patch: Partial<GlobalOptions> = {}): GlobalOptions {
  return { insecureskipverify: false, debug: false, color: true, ...patch };
}
