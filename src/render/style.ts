// Colour for human output. A per-run chalk instance (never the global one), switched on or off by the caller
// from IOStreams.colorEnabled(), so NO_COLOR / FORCE_COLOR / --no-color / TTY detection live in one place.
import { Chalk } from 'chalk';

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
  const c = new Chalk({ level: color ? 1 : 0 });
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
}

export function renderContext(tty: boolean, color: boolean): RenderContext {
  return { tty, style: makeStyle(color) };
}
