// The Examples section of every command's help, by command path ('' is meshctl itself). Kept in one table
// rather than beside each definition so that a command without examples is easy to see: test/unit/cli/help.test.ts
// walks the whole tree, fails on a command missing here, and parses every `$ meshctl ...` line against the tree
// (each must run the command it illustrates), so an example cannot drift from the flags it shows.
import type { Command } from 'commander';
import { examples, type Example } from '../help.js';

const ID = 'alphaK2sV9qQe';

export const EXAMPLES: Readonly<Record<string, readonly Example[]>> = {
  '': [
    ['The node behind a Unix socket: its connections, routes and work types', 'meshctl -s /var/run/receptor/receptor.sock status'],
    ['Run a unit of work with a file as its stdin, print its output, then release it', 'meshctl work submit cat -p data.txt --follow --rm'],
    ['The help of any command', 'meshctl help work submit'],
  ],
  status: [
    ['The node at $MESHCTL_SOCKET: connections, known nodes, routes, services and work types', 'meshctl status'],
    ['A node over TLS, trusting a private CA', 'meshctl -s tls://ctl.example.com:27199 --rootcas ca.crt status'],
    ["The node's whole reply, as JSON", 'meshctl status --json'],
  ],
  ping: [
    ['Four pings of node beta, one second apart', 'meshctl ping beta'],
    ['One ping of the node itself, as JSON', 'meshctl ping localhost --count 1 --json'],
  ],
  traceroute: [['Each hop on the way to node gamma, with the time to it', 'meshctl traceroute gamma']],
  reload: [["Make the node re-read its config file after an edit (receptorctl reload)", 'meshctl -s /var/run/receptor/receptor.sock reload']],
  version: [
    ["meshctl's version and that of the node", 'meshctl version'],
    ['Both, as JSON', 'meshctl version --json'],
  ],
  connect: [
    ["One command to beta's own control service, through the mesh", "printf 'status\\n' | meshctl connect beta control"],
    ['An interactive service: every key, Ctrl-C included, goes to it', 'meshctl connect beta ssh --raw'],
  ],
  mesh: [
    ['Every node of the mesh: version, CPUs, memory, work types, units, connections, ping time', 'meshctl mesh status'],
    ['The mesh as a tree from the local node, with link costs and roles', 'meshctl mesh graph'],
  ],
  'mesh status': [
    ['One row per node the local node knows of, each asked through the mesh', 'meshctl mesh status'],
    ['Nodes whose control service uses TLS through the tls-client named ctl; 2s per node', 'meshctl mesh status --tls-client ctl --timeout 2s'],
    ['Redraw every 5 seconds; piped, print only the rows that change', 'meshctl mesh status --watch 5s'],
    ['The nodes that did not answer, and why', "meshctl mesh status --query 'nodes[?!reachable].[node, error.message]'"],
  ],
  'mesh graph': [
    ["The mesh as a tree drawn from the local node: link costs, route costs, each node's role", 'meshctl mesh graph'],
    ['A picture with Graphviz', 'meshctl mesh graph --format dot | dot -Tsvg -o mesh.svg'],
    ['Mermaid text for a Markdown page (GitHub draws ```mermaid blocks)', 'meshctl mesh graph --format mermaid'],
    ['The executors and their work types', "meshctl mesh graph --query \"nodes[?contains(roles, 'executor')].[id, workTypes[].workType]\""],
  ],
  work: [
    ['Run a unit with a file as its stdin and print its output as it comes', 'meshctl work submit cat -p data.txt --follow'],
    ['The units of the node', 'meshctl work list'],
    ['Write the output of a unit to a file', `meshctl work results ${ID} > out.txt`],
    ['Delete a unit and its files', `meshctl work release ${ID}`],
  ],
  'work submit': [
    ['Run the cat work type on a file, print the output as it comes, then release the unit', 'meshctl work submit cat -p data.txt --follow --rm'],
    ['Submit only: piped, meshctl prints just the unit ID', 'id=$(meshctl work submit echo -l hello)'],
    ['The payload from stdin, run on node beta of the mesh', 'tar c dir | meshctl work submit cat -p - --node beta --tls-client mesh --ttl 5m'],
    ['Work parameters; @FILE sends the contents of FILE', 'meshctl work submit kube -n -a secret_kube_pod=@pod.yaml -a pod_pending_timeout=5m'],
    ['Extra command parameters after -- (the work type needs allowruntimeparams)', 'meshctl work submit command -n -- -x extra'],
  ],
  'work list': [
    ['Every unit of the node: ID, work type, state, output size, detail', 'meshctl work list'],
    ['Only the unit IDs, one a line (ls is list)', 'meshctl work ls -q'],
    ["The units of node beta, read through the mesh", 'meshctl work list --node beta'],
    ['The failed units of every node, with a NODE column', 'meshctl work list --all-nodes --state failed'],
  ],
  'work status': [
    ['State, detail and output size of a unit', `meshctl work status ${ID}`],
    ['The same as JSON', `meshctl work status ${ID} --json`],
  ],
  'work results': [
    ['The output of a unit, to a file (waits for a running unit to end)', `meshctl work results ${ID} > out.txt`],
    ['Go on from byte 5120, where an interrupted download stopped', `meshctl work results ${ID} --start-pos 5120 >> out.txt`],
  ],
  'work cancel': [
    ['Stop a running unit; its output stays readable', `meshctl work cancel ${ID}`],
    ['Several at once', `meshctl work cancel ${ID} betaP7mW2nXc`],
  ],
  'work release': [
    ['Cancel a unit if it runs and delete its files', `meshctl work release ${ID}`],
    ["Delete a remote unit's local record even when its node is gone", `meshctl work release ${ID} --force`],
    ['Every unit of the node, without asking (in a script)', 'meshctl work release --all --yes'],
  ],
  node: [
    ['Run a node from a Receptor-style config (its control-service entry names the socket); Ctrl-C stops it', 'meshctl node -c receptor.yaml'],
  ],
  cert: [
    [
      'A CA, then a key and a request for node1, then its certificate, signed without asking',
      'meshctl cert init --common-name "Mesh CA" --out-cert ca.crt --out-key ca.key',
      'meshctl cert makereq --common-name node1 --node-id node1 --out-req node1.csr --out-key node1.key',
      'meshctl cert signreq --req node1.csr --ca-cert ca.crt --ca-key ca.key --out-cert node1.crt --yes',
    ],
    ['What a certificate or request holds', 'meshctl cert inspect node1.crt'],
  ],
  'cert init': [
    ['A CA valid for 10 years, its key in ca.key (mode 0600)', 'meshctl cert init --common-name "Mesh CA" --out-cert ca.crt --out-key ca.key'],
    ["Receptor's spelling (receptor --cert-init), which overwrites existing files", 'meshctl cert init commonname="Mesh CA" bits=2048 outcert=ca.crt outkey=ca.key'],
  ],
  'cert makereq': [
    ['A new key and a request for node1, with its node ID and DNS name', 'meshctl cert makereq --common-name node1 --node-id node1 --dns-name node1.example.com --out-req node1.csr --out-key node1.key'],
    ["Receptor's spelling (receptor --cert-makereq)", 'meshctl cert makereq bits=2048 commonname=node1 dnsname=node1.example.com nodeid=node1 outreq=node1.csr outkey=node1.key'],
  ],
  'cert signreq': [
    ['Sign a request with the CA, valid for a year, without asking', 'meshctl cert signreq --req node1.csr --ca-cert ca.crt --ca-key ca.key --out-cert node1.crt --yes'],
    ["Receptor's spelling (receptor --cert-signreq)", 'meshctl cert signreq req=node1.csr cacert=ca.crt cakey=ca.key outcert=node1.crt verify=yes'],
  ],
  'cert inspect': [
    ['Subject, issuer, validity and names (DNS, IP, node IDs) of a certificate and a request', 'meshctl cert inspect node1.crt node1.csr'],
    ['As one JSON array', 'meshctl cert inspect ca.crt --json'],
  ],
  config: [
    [
      'A context for a TLS mesh, made the current one: later commands reach it with no -s',
      'meshctl config set-context prod -s tls://mesh.example.com:27199 --rootcas ca.crt --cert me.crt --key me.key',
      'meshctl config use-context prod',
    ],
    ['Every context, the current one marked *', 'meshctl config get-contexts'],
  ],
  'config get-contexts': [
    ['Every context, the current one marked *', 'meshctl config get-contexts'],
    ['One context with all its settings, as JSON', 'meshctl config get-contexts prod --json'],
  ],
  'config current-context': [['The context commands use without --context', 'meshctl config current-context']],
  'config use-context': [['Make lab the current context', 'meshctl config use-context lab']],
  'config set-context': [
    ['A context for a node on a Unix socket', 'meshctl config set-context lab -s /var/run/receptor/receptor.sock'],
    ["Change one setting of a context (the others are kept); '' removes one", "meshctl config set-context prod --timeout 5s --rootcas ''"],
    ["TLS from a Receptor config's tls-client entry instead of PEM files", 'meshctl config set-context ctl -s tls://ctl.example:27199 --config /etc/receptor/receptor.conf --tls-client ctl'],
  ],
  'config delete-context': [['Remove a context', 'meshctl config delete-context lab']],
  demo: [
    ['Three embedded nodes, status, traceroute and work end to end, then everything removed', 'meshctl demo'],
    ['Keep the temporary directory with the configs and unit data', 'meshctl demo --keep'],
  ],
  completion: [
    ['bash: completion in this shell', 'source <(meshctl completion bash)'],
    ['bash: in every new shell (with the bash-completion package)', 'meshctl completion bash > ~/.local/share/bash-completion/completions/meshctl'],
    ['zsh: into a directory of $fpath, before compinit runs in ~/.zshrc', 'meshctl completion zsh > ~/.zsh/completions/_meshctl'],
    ['fish', 'meshctl completion fish > ~/.config/fish/completions/meshctl.fish'],
  ],
  help: [
    ['Every command', 'meshctl help'],
    ['The help of work submit (the same as meshctl work submit --help)', 'meshctl help work submit'],
  ],
};

/** The path of a command under meshctl: 'work submit'. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Adds its Examples section to every command of the tree built so far. */
export function addExamples(cmd: Command): void {
  const list = EXAMPLES[commandPath(cmd)];
  if (list) examples(cmd, list);
  for (const c of cmd.commands) addExamples(c);
}
