// --json and --yaml: the node's reply as it came (key order kept), as exactly one document.

export type OutputFormat = 'human' | 'json' | 'yaml';

export function toJson(data: unknown): string {
  return JSON.stringify(data, null, 2) + '\n';
}

export async function toYaml(data: unknown): Promise<string> {
  const { stringify } = await import('yaml');
  return stringify(data);
}

export async function formatStructured(format: 'json' | 'yaml', data: unknown): Promise<string> {
  return format === 'json' ? toJson(data) : toYaml(data);
}
