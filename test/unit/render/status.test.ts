import { beforeAll, describe, expect, it } from 'vitest';
import type { Status } from '../../../src/protocol/types.js';
import { renderStatus, shortTime, workTypesByNode } from '../../../src/render/status.js';
import { prepareStyles, renderContext } from '../../../src/render/style.js';

beforeAll(() => prepareStyles(true));

const status: Status = {
  NodeID: 'alpha',
  Version: '1.6.5',
  SystemCPUCount: 4,
  SystemMemoryMiB: 15990,
  Connections: [{ NodeID: 'beta', Cost: 1.5 }],
  KnownConnectionCosts: { alpha: { beta: 1.5 }, beta: { alpha: 1.5 } },
  RoutingTable: { beta: 'beta' },
  Advertisements: [
    {
      NodeID: 'alpha',
      Service: 'control',
      Time: '2024-10-24T16:36:52.1234567-04:00',
      ConnType: 1,
      Tags: { type: 'Control Service' },
      WorkCommands: [
        { WorkType: 'echo', Secure: false },
        { WorkType: 'signed', Secure: true },
      ],
    },
    { NodeID: 'beta', Service: 'ctltls', Time: '2024-10-24T20:36:00Z', ConnType: 2, Tags: null, WorkCommands: null },
  ],
};

const plain = renderContext(false, false);
const tty = renderContext(true, false);

describe('render status', () => {
  it('render status - piped: one typed record per line, tab-separated, raw values', () => {
    expect(renderStatus(status, plain)).toBe(
      [
        'node_id\talpha',
        'version\t1.6.5',
        'cpu_count\t4',
        'memory_mib\t15990',
        'connection\tbeta\t1.5',
        'known_connection\talpha\tbeta\t1.5',
        'known_connection\tbeta\talpha\t1.5',
        'route\tbeta\tbeta',
        'advertisement\talpha\tcontrol\tStream\t2024-10-24T16:36:52.1234567-04:00\t{"type":"Control Service"}',
        'advertisement\tbeta\tctltls\tStreamTLS\t2024-10-24T20:36:00Z\t-',
        'work_type\talpha\techo',
        'secure_work_type\talpha\tsigned',
        '',
      ].join('\n'),
    );
  });

  it("render status - terminal: receptorctl's sections, aligned, times in the advertiser's offset", () => {
    const text = renderStatus(status, tty);
    expect(text).toContain('Node ID:           alpha\n');
    expect(text).toContain('System Memory MiB: 15990\n');
    expect(text).toMatch(/Connection {2}Cost\nbeta {8}1\.5\n/);
    expect(text).toMatch(/Route {2}Via\nbeta {3}beta\n/);
    expect(text).toMatch(/alpha {2}control {2}Stream {5}2024-10-24 16:36:52 {2}type=Control Service\n/);
    expect(text).toMatch(/beta {3}ctltls {3}StreamTLS {2}2024-10-24 20:36:00 {2}-\n/);
    expect(text).toMatch(/Node {3}Work Types\nalpha {2}echo\n/);
    expect(text).toMatch(/Node {3}Secure Work Types\nalpha {2}signed\n/);
    expect(text).not.toMatch(/[ \t]\n/); // no trailing blanks
  });

  it('render status - colour only when asked', () => {
    expect(renderStatus(status, renderContext(true, true))).toContain('\x1b[1m');
    expect(renderStatus(status, tty)).not.toContain('\x1b[');
  });

  it('render status - a lone node shows no empty sections', () => {
    const alone: Status = { ...status, Connections: [], KnownConnectionCosts: {}, RoutingTable: {}, Advertisements: [] };
    const text = renderStatus(alone, tty);
    expect(text).not.toContain('Connection');
    expect(text).not.toContain('Route');
    expect(renderStatus(alone, plain).split('\n')).toHaveLength(5);
  });

  it('render status - fields it does not know are still shown', () => {
    const more = { ...status, Extra: { a: 1 } } as Status;
    expect(renderStatus(more, plain)).toContain('extra\tExtra\t{"a":1}\n');
    expect(renderStatus(more, tty)).toContain('Additional data returned from the node:');
  });

  it('render status - requested_fields subsets render what is there', () => {
    expect(renderStatus({ Version: '1.6.5' }, plain)).toBe('version\t1.6.5\n');
  });

  it('render status - helpers', () => {
    expect(shortTime('2024-10-24T16:36:52.1234567-04:00')).toBe('2024-10-24 16:36:52');
    expect(shortTime('garbage')).toBe('garbage');
    expect(workTypesByNode(status.Advertisements, false)).toEqual([['alpha', ['echo']]]);
  });
});
