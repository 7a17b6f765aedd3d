import {type ConnectionLog, LINK_NAMES, startReplica} from '../lib/index.js';
import {type Cli, type CliArgs, integerFlag, isMainModule, type OptionTable, runCli, UsageError} from './support/cli.mjs';

const HELP = `
usage: npm run serve -- [--host 127.0.0.1] [--port 8080] [--link book-run-1] [--max-connections 128] [--quiet]

Serves the offline replica of data.pr4e.org until interrupted (Ctrl-C). Prints one ready line,
"listening on http://HOST:PORT", then one line per finished connection (unless --quiet).

Resources: /cover3.jpg (the 70057-byte JPEG, with the chapter's exact header bytes), /romeo.txt,
/flow-control.bin (8 MiB, to watch the sender wait for a slow reader). Both request forms work:
  GET http://data.pr4e.org/cover3.jpg HTTP/1.0     (absolute form, as the chapter sends)
  GET /cover3.jpg HTTP/1.0                         (origin form)

Link profiles (--link), which decide how the bytes are paced onto the socket. The two book profiles
model the network of each day of the chapter, never the reader: 1460-byte segments 30 ms apart on both.
  book-run-1  the first run's network: the first two segments arrive together (and twice more near the
              end), written back to back. recv(5120) without sleeping gets 2920, 1460 x 42, 2920, 1460,
              1681, the chapter's first run, or reads a pair apart (1460, 1460) when it wakes between its
              two writes, as a reader in another process often does; sleeping 0.25 s after each recv,
              2920, 5120 x 13, 821. Date of run 1. The default.
  book-run-2  the second run's network: the first segment arrives alone. recv(5120) sleeping 0.25 s after
              each gets 1460, 5120 x 13, 2281, the chapter's second run; without sleeping, 1460 x 48, 221.
              Date of run 2.
  realistic   a modelled WAN link (8 Mbit/s, 40 ms round trip, 1460-byte segments, slow start, jitter):
              the recv sizes change from run to run, as on a real network.
  fast        no pacing: one write up to 1 MiB, else 64 KiB writes as fast as the socket takes them.

Options:
  --host ADDRESS  address to listen on (default 127.0.0.1; 0.0.0.0 exposes it to your network)
  --port N        port (default 8080; 0 picks a free one)
  --link NAME     link profile (default book-run-1)
  --max-connections N
                  the most connections served at once (default 128); one more is answered
                  503 Service Unavailable and closed. Far above what a class makes; low enough to
                  bound what clients that never read hold of the machine's TCP memory (3.8 MiB each)
  --quiet         no line per connection
`;

/** The options, typed for util.parseArgs (strict: anything else is a usage error). */
const OPTIONS = {
	host: {type: 'string'},
	port: {type: 'string'},
	link: {type: 'string'},
	'max-connections': {type: 'string'},
	quiet: {type: 'boolean'},
} as const satisfies OptionTable;
type Flags = CliArgs<typeof OPTIONS>;

async function main(args: Flags): Promise<number> {
	const link = args.link ?? 'book-run-1';
	if (!(LINK_NAMES as readonly string[]).includes(link)) throw new UsageError(`--link must be one of ${LINK_NAMES.join(', ')}, got "${link}"`);
	const port = integerFlag('port', args.port, 8080, 0, 65535);
	const maxConnections = integerFlag('max-connections', args['max-connections'], 128, 1);
	// An empty --host would mean every interface to Node: that must be asked for by name (0.0.0.0).
	if (args.host !== undefined && args.host.trim() === '') throw new UsageError('--host needs an address, e.g. 127.0.0.1 (0.0.0.0 for every interface)');
	const replica = await startReplica({
		host: args.host ?? '127.0.0.1',
		port,
		link,
		maxConnections,
		...(args.quiet ? {} : {onConnectionClosed: printConnection}),
	});
	console.log(`listening on ${replica.url}`);

	await new Promise<void>((resolve) => {
		process.once('SIGINT', resolve);
		process.once('SIGTERM', resolve);
	});
	await replica.close();
	return 0;
}

function printConnection(log: ConnectionLog): void {
	const pauses = log.pauses ? `, waited for the reader ${log.pauses} times (${log.pausedMs.toFixed(0)} ms)` : '';
	const detail = log.detail ? ` (${log.detail})` : '';
	console.log(printable(`${log.client} "${log.requestLine}" ${log.status} ${log.bytesSent} bytes ${log.outcome}${detail}${pauses}`));
}

/** A client's bytes in a terminal line: control characters (escape sequences among them) shown as \xNN. */
function printable(line: string): string {
	return line.replace(/[\u0000-\u001f\u007f-\u009f]/g, (character) => `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The command, exported for the tests to run in-process (runCommand). */
export const cli: Cli<typeof OPTIONS> = {help: HELP, options: OPTIONS, main};

if (isMainModule(import.meta.url)) runCli(cli);
