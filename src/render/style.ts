// Colour for human output. A per-run chalk instance (never the global one), switched on or off by the caller
// from IOStreams.colorEnabled(), so NO_COLOR / FORCE_COLOR / --no-color / TTY detection live in one place.
// chalk itself is loaded only when some stream is coloured (prepareStyles), so piped runs never pay for it.
type ChalkModule = typeof import('chalk');
let chalk: ChalkModule | undefined;

/** Loads chalk if any output will be coloured. Call before makeStyle(true) (the CLI does, per command). */
export async function prepareStyles(anyColor: boolean): Promise<void> {
  if (anyColor && !chalk) chalk = await import('chalk');
}

const plain = (s: string): string => s;
const PLAIN: Style = { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain, magenta: plain };

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
}

export function makeStyle(color: boolean): Style {
  if (!color) return PLAIN;
  if (!chalk) throw new Error('makeStyle(true) before prepareStyles(true)');
  const c = new chalk.Chalk({ level: 1 });
  return {
    bold: (s) => c.bold(s),
    dim: (s) => c.dim(s),
    red: (s) => c.red(s),
    green: (s) => c.green(s),
    yellow: (s) => c.yellow(s),
    cyan: (s) => c.cyan(s),
    magenta: (s) => c.magenta(s),
  };
}

/** How to render: `tty` picks aligned tables and friendly wording, otherwise tab-separated, header-less lines. */
export interface RenderContext {
  tty: boolean;
  style: Style;
  /** The terminal's width in columns, which tables fit; 0 or absent: unknown, nothing is cut. */
  width?: number;
  /** `--wide`: tables show every column whole, whatever the width. */
  wide?: boolean;
}

export function renderContext(tty: boolean, color: boolean, layout: { width?: number; wide?: boolean } = {}): RenderContext {
  return { tty, style: makeStyle(color), width: layout.width ?? 0, wide: layout.wide ?? false };
}
