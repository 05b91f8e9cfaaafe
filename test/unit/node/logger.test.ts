// The node's Receptor-style log lines: one line per message and no raw terminal control character, whatever a
// peer put in a unit ID, node ID or error text. Regression for issue 10: a unit ID with ESC sequences reached
// the log (and the terminal showing it) raw.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StreamLogger } from '../../../src/node/logger.js';

function capture(): { logger: StreamLogger; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString('utf8')));
  return { logger: new StreamLogger(out, 'debug'), text: () => text };
}

describe('node logger', () => {
  it('node logger - Receptor format: LEVEL YYYY/MM/DD HH:MM:SS message', () => {
    const { logger, text } = capture();
    logger.info('Running control service control');
    expect(text()).toMatch(/^INFO \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d Running control service control\n$/);
  });

  it('node logger - control characters in a message are escaped, not written raw', () => {
    const { logger, text } = capture();
    logger.info('[ab\u001b[2J\u001b]0;pwned\u0007\u009b31m] work unit of type cat submitted');
    const line = text();
    expect(line).toMatch(/ \[ab\\x1b\[2J\\x1b\]0;pwned\\a\\u009b31m\] work unit of type cat submitted\n$/);
    expect(line.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });

  it('node logger - a newline or CR cannot forge a second log line', () => {
    const { logger, text } = capture();
    logger.warning('bad id x\nERROR 2024/01/01 00:00:00 forged\rline');
    logger.error('a message that ends in a newline\n');
    const lines = text().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^WARNING .* bad id x\\nERROR 2024\/01\/01 00:00:00 forged\\rline$/);
    expect(lines[1]).toMatch(/^ERROR .* a message that ends in a newline$/);
  });
});
