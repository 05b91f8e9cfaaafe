// The CLI composes the advice for a node's refusal (src/cmdutil/server-hints.ts) while the library keeps the
// node's text verbatim: the one error path (classify) swaps the table's generic hint for the known one.
import { describe, expect, it } from 'vitest';
import { classify } from '../../../src/cmdutil/errors.js';
import { ERROR_TABLE, ServerError } from '../../../src/errors.js';

describe('server hints', () => {
  it("server hints - Receptor's runtime-params refusal gets a hint naming allowruntimeparams; its text is kept", () => {
    const v = classify(new ServerError('extra params provided but not allowed'));
    expect(v.message).toBe('extra params provided but not allowed');
    expect(v.hint).toContain('allowruntimeparams: true');
    expect(v.exit).toBe(5);
  });

  it('server hints - no route and unknown service point at `meshctl status`; the context stays in the message', () => {
    const route = classify(new ServerError('no route to node', { context: "connect to service 'control' on node 'x'" }));
    expect(route.message).toBe("connect to service 'control' on node 'x': no route to node");
    expect(route.hint).toMatch(/check the node name/);
    expect(classify(new ServerError('service unknown')).hint).toMatch(/check the service name/);
  });

  it('server hints - other texts keep the generic hint, and a hint a command chose is never replaced', () => {
    expect(classify(new ServerError('something else')).hint).toBe(ERROR_TABLE.ESERVER.hint);
    expect(classify(new ServerError('no route to node', { hint: 'mine' })).hint).toBe('mine');
    expect(classify(new ServerError('unknown work unit abc')).hint).toBe(ERROR_TABLE.EUNKNOWNUNIT.hint);
  });
});
