// Definitions of `meshctl cert ...` (src/commands/cert/<verb>.ts): flags, help, and a lazy import of each verb,
// so other commands never load the certificate stack (@peculiar/x509).
import type { Command } from 'commander';
import type { InitOptions } from '../../commands/cert/init.js';
import type { InspectOptions } from '../../commands/cert/inspect.js';
import type { MakeReqOptions } from '../../commands/cert/makereq.js';
import type { SignReqOptions } from '../../commands/cert/signreq.js';
import { addLeafGlobalOptions } from '../global-options.js';
import { addQueryOption, collect, type ProgramContext } from './common.js';

export function defineCertCommands(program: Command, ctx: ProgramContext): void {
  const cert = program
    .command('cert')
    .description('create a CA, certificate requests and certificates for Receptor nodes (with node IDs)');

  const init = cert
    .command('init')
    .description('create a CA certificate and private key (like receptor --cert-init)')
    .argument('[params...]', 'Receptor-style key=value parameters')
    .option('--common-name <name>', 'common name of the CA')
    .option('--bits <n>', 'RSA key size in bits (default 2048)')
    .option('--not-before <time>', 'start of validity, RFC 3339 (default: now)')
    .option('--not-after <time>', 'end of validity, RFC 3339 (default: 10 years from now)')
    .option('--out-cert <file>', 'file to write the CA certificate to')
    .option('--out-key <file>', 'file to write the CA private key to (mode 0600)')
    .option('--force', 'overwrite existing files')
    .action((params: string[], opts: InitOptions, cmd: Command) =>
      ctx.invoke(cmd, { ...opts, params }, () => import('../../commands/cert/init.js')),
    );

  const makereq = cert
    .command('makereq')
    .description('create a certificate request, with a new key or an existing one (like receptor --cert-makereq)')
    .argument('[params...]', 'Receptor-style key=value parameters')
    .option('--common-name <name>', 'common name of the certificate')
    .option('--dns-name <name>', 'DNS name to include (repeatable)', collect)
    .option('--ip-address <ip>', 'IP address to include (repeatable)', collect)
    .option('--node-id <id>', 'Receptor node ID to include (repeatable)', collect)
    .option('--out-req <file>', 'file to write the request to')
    .option('--out-key <file>', 'write a new private key to this file (mode 0600)')
    .option('--bits <n>', 'size of the new RSA key (default 2048)')
    .option('--in-key <file>', 'use this existing private key')
    .option('--force', 'overwrite existing files')
    .action((params: string[], opts: MakeReqOptions, cmd: Command) =>
      ctx.invoke(cmd, { ...opts, params }, () => import('../../commands/cert/makereq.js')),
    );

  const signreq = cert
    .command('signreq')
    .description('sign a certificate request with the CA (like receptor --cert-signreq)')
    .argument('[params...]', 'Receptor-style key=value parameters')
    .option('--req <file>', 'the certificate request')
    .option('--ca-cert <file>', 'the CA certificate')
    .option('--ca-key <file>', 'the CA private key')
    .option('--not-before <time>', 'start of validity, RFC 3339 (default: now)')
    .option('--not-after <time>', 'end of validity, RFC 3339 (default: 1 year from now)')
    .option('--out-cert <file>', 'file to write the certificate to')
    .option('-y, --yes', 'sign without showing the request and asking (needed without a terminal)')
    .option('--force', 'overwrite an existing certificate file')
    .action((params: string[], opts: SignReqOptions, cmd: Command) =>
      ctx.invoke(cmd, { ...opts, params }, () => import('../../commands/cert/signreq.js')),
    );

  const inspect = cert
    .command('inspect')
    .description('show subject, issuer, validity and names (DNS, IP, node IDs) of certificates and requests')
    .argument('<files...>', 'PEM (or DER) certificate or certificate request files')
    .option('--json', 'print one JSON array')
    .action((files: string[], opts: InspectOptions, cmd: Command) =>
      ctx.invoke(cmd, { files, json: Boolean(opts.json), query: opts.query }, () => import('../../commands/cert/inspect.js')),
    );
  addQueryOption(inspect);

  // --debug and --no-color after the verb, as on every other leaf command.
  for (const leaf of [init, makereq, signreq, inspect]) addLeafGlobalOptions(leaf, { connection: false });
}
