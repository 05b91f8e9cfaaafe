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

  it('node logger - receptor 1.6.5 suffix: {"node_id":"x"} once set, remote_id added by updateSuffix, none on the unsuffixed (main) logger', () => {
    const { logger, text } = capture();
    logger.info('before the mesh');
    logger.setSuffix({ node_id: 'x' });
    logger.debug('Listening on TCP [::]:1');
    logger.updateSuffix({ remote_id: 'y' });
    logger.info('   a: b(1.00) ');
    logger.updateSuffix({ remote_id: 'z' });
    logger.warning('later');
    logger.unsuffixed().info('Initialization complete');
    const lines = text().trimEnd().split('\n').map((l) => l.replace(/^(\w+) \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, '$1 '));
    expect(lines).toEqual([
      'INFO before the mesh',
      'DEBUG Listening on TCP [::]:1 {"node_id":"x"}',
      // printRoutingTable's trailing space, then appendSuffix's " %s": two spaces, as receptor prints it.
      'INFO    a: b(1.00)  {"node_id":"x","remote_id":"y"}',
      'WARNING later {"node_id":"x","remote_id":"z"}',
      'INFO Initialization complete',
    ]);
  });

  it('node logger - the unsuffixed logger follows the level of the node logger', () => {
    const { logger, text } = capture();
    const main = logger.unsuffixed();
    logger.level = 'error';
    main.info('hidden');
    logger.level = 'info';
    main.info('shown');
    expect(text()).not.toContain('hidden');
    expect(text()).toContain('shown');
  });
});
