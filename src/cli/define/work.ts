// Definitions of `meshctl work ...`. Flags follow receptorctl's (cli.py) where it has the command.
import { Option, type Command } from 'commander';
import type { CancelOptions } from '../../commands/work/cancel.js';
import type { WorkListOptions } from '../../commands/work/list.js';
import type { ReleaseOptions } from '../../commands/work/release.js';
import type { ResultsOptions } from '../../commands/work/results.js';
import type { WorkStatusOptions } from '../../commands/work/status.js';
import type { SubmitOptions } from '../../commands/work/submit.js';
import { collect, leaf, nonNegativeInt, positiveInt, type ProgramContext } from './common.js';

/**
 * `-n, --no-payload` would be a negation of `--payload` to commander (sharing one value, last one wins), which
 * would hide `-p FILE -n` from the "two payload options" check. Declared as a plain flag named noPayload.
 */
function noPayloadOption(): Option {
  const o = new Option('-n, --no-payload', 'send an empty payload');
  o.negate = false;
  return o;
}

export function defineWorkCommands(program: Command, ctx: ProgramContext): void {
  const work = program.command('work').description('submit, list, follow, cancel and release units of work');

  leaf(work, 'submit', 'create a unit of work and send its payload', { structured: true }, (c) =>
    c
      .argument('<worktype>', 'work type (a work-command worktype of the target node)')
      .argument('[cmdparams...]', 'appended to the params parameter (needs allowruntimeparams on the node)')
      .option('-p, --payload <file>', "file to send as the unit's stdin; - for stdin")
      .option('-l, --payload-literal <text>', 'send TEXT followed by a newline')
      .addOption(noPayloadOption())
      .option('--node <node>', 'node to run the work on (default: the node we talk to)')
      .option('-a, --param <key=value>', 'work parameter, repeatable; a value @FILE is replaced by the file contents', collect)
      .option('--tls-client <name>', 'tls-client the node uses to reach --node (remote work)')
      .option('--ttl <duration>', 'remote work must start within this Go duration, e.g. 1h20m30s')
      .option('--signwork', 'have the node sign the remote submit with its work-signing key')
      .option('-f, --follow', 'stay attached and write the results to stdout')
      .option('--rm', 'release the unit at the end (also after a failure)')
      .option('--reconnect-timeout <duration>', 'with --follow: re-open a dropped results stream for this long (default 2m; 0 = never)')
      .action((workType: string, cmdParams: string[], o: SubmitOptions, cmd: Command) =>
        ctx.invoke(
          cmd,
          {
            workType,
            cmdParams,
            payload: o.payload,
            payloadLiteral: o.payloadLiteral,
            noPayload: Boolean(o.noPayload),
            node: o.node,
            param: o.param ?? [],
            tlsClient: o.tlsClient,
            ttl: o.ttl,
            signwork: Boolean(o.signwork),
            follow: Boolean(o.follow),
            rm: Boolean(o.rm),
            reconnectTimeout: o.reconnectTimeout,
            json: o.json,
            yaml: o.yaml,
            query: o.query,
          },
          () => import('../../commands/work/submit.js'),
        ),
      ),
  );

  leaf(work, 'list', 'list units of work', { structured: true, table: true }, (c) =>
    c
      // gh's list commands answer to ls too; release has no rm: gh gives delete no such alias either.
      .alias('ls')
      .option('--node <node>', "list another node's units (read through connect NODE control)")
      .option('--unit-id <id>', 'only this unit')
      .addOption(new Option('--unit_id <id>', "receptorctl's spelling of --unit-id").hideHelp())
      .option('--tls-client <name>', 'tls-client the node uses to reach --node')
      .option('-q, --quiet', 'unit ids only, one per line')
      .option('--all-nodes', 'the units of every node the local node knows of, with a NODE column')
      .option('--state <states>', 'only units in these states (pending, running, succeeded, failed, canceled; comma-separated)', collect)
      .option('--work-type <type>', 'only units of this work type (repeatable)', collect)
      .addOption(new Option('--concurrency <n>', 'with --all-nodes: nodes asked at once').default(8).argParser(positiveInt))
      .action((o: WorkListOptions & { unit_id?: string }, cmd: Command) =>
        ctx.invoke(
          cmd,
          {
            node: o.node,
            unitId: o.unitId ?? o.unit_id,
            tlsClient: o.tlsClient,
            quiet: Boolean(o.quiet),
            allNodes: Boolean(o.allNodes),
            state: o.state,
            workType: o.workType,
            concurrency: o.concurrency,
            json: o.json,
            yaml: o.yaml,
            query: o.query,
            wide: o.wide,
          },
          () => import('../../commands/work/list.js'),
        ),
      ),
  );

  leaf(work, 'status', 'show the state of a unit, or wait until units end (--wait)', { structured: true }, (c) =>
    c
      .argument('<unit-ids...>', 'unit id (several with --wait)')
      .option('--wait', 'wait until each unit has ended; exit 0 if all ended Succeeded (or a --for state); --timeout D bounds the wait')
      .option('--for <states>', 'with --wait: final states that count as success (default succeeded; failed, canceled; comma-separated)', collect)
      .action((unitIds: string[], o: WorkStatusOptions & { timeout?: string }, cmd: Command) => {
        // kubectl wait's --timeout bounds the wait. With --wait, a --timeout typed after the verb does that here, and
        // the connect and reply timeouts keep their defaults (or a --timeout typed before `work`): by position, as
        // the global --tls-client and submit's own live apart (global-options.ts).
        let waitTimeout: string | undefined;
        if (o.wait && cmd.getOptionValueSource('timeout') === 'cli') {
          waitTimeout = o.timeout;
          cmd.setOptionValueWithSource('timeout', undefined, 'work status --wait');
        }
        return ctx.invoke(
          cmd,
          { unitIds, wait: Boolean(o.wait), waitTimeout, for: o.for, json: o.json, yaml: o.yaml, query: o.query },
          () => import('../../commands/work/status.js'),
        );
      }),
  );

  leaf(work, 'results', "write a unit's output to stdout (raw bytes), then check how the unit ended", {}, (c) =>
    c
      .argument('<unit-id>', 'unit id')
      .addOption(new Option('--start-pos <bytes>', 'start at this byte offset').argParser(nonNegativeInt))
      .option('--reconnect-timeout <duration>', 're-open a dropped stream from where it stopped for this long (default 2m; 0 = never)')
      .action((unitId: string, o: ResultsOptions, cmd: Command) =>
        ctx.invoke(cmd, { unitId, startPos: o.startPos, reconnectTimeout: o.reconnectTimeout }, () => import('../../commands/work/results.js')),
      ),
  );

  leaf(work, 'cancel', 'cancel (stop) units of work; their files are kept', { structured: true }, (c) =>
    c
      .argument('<unit-ids...>', 'one or more unit ids')
      .action((unitIds: string[], o: CancelOptions, cmd: Command) =>
        ctx.invoke(cmd, { unitIds, json: o.json, yaml: o.yaml, query: o.query }, () => import('../../commands/work/cancel.js')),
      ),
  );

  leaf(work, 'release', 'cancel units of work and delete their files', { structured: true }, (c) =>
    c
      .argument('[unit-ids...]', 'unit ids')
      .option('--all', 'release every unit the node lists')
      .option('--state <states>', 'release the units in these states (succeeded, failed, canceled, running, pending; comma-separated)', collect)
      // Known, so that it is refused with the reason rather than as an unknown option; not offered in help.
      .addOption(new Option('--older-than <duration>', "refused: the control protocol does not tell a unit's age").hideHelp())
      .option('--dry-run', 'with --all or --state: list the units that would be released, release nothing')
      .option('--force', "delete locally even if a remote node can't be reached (force-release)")
      .option('-y, --yes', 'with --all or --state: release without asking (required without a terminal)')
      .action((unitIds: string[], o: ReleaseOptions, cmd: Command) =>
        ctx.invoke(
          cmd,
          {
            unitIds,
            all: Boolean(o.all),
            state: o.state,
            olderThan: o.olderThan,
            dryRun: Boolean(o.dryRun),
            force: Boolean(o.force),
            yes: Boolean(o.yes),
            json: o.json,
            yaml: o.yaml,
            query: o.query,
          },
          () => import('../../commands/work/release.js'),
        ),
      ),
  );
}
