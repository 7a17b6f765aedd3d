import {writeFile} from 'node:fs/promises';
import * as path from 'node:path';
import {checkLiveHost, LINK_NAMES, type Replica, retrieve, splitResponse, startReplica} from '../lib/index.js';
import {type Cli, type CliArgs, integerFlag, isMainModule, type OptionTable, runCli, UsageError} from './support/cli.mjs';

const HELP = `
usage: npm run fetch -- [URL] [--recv 5120] [--delay-ms 0] [--out stuff.jpg] [--link NAME] [--live]

The chapter's program as a command: sends "GET URL HTTP/1.0", calls recv(--recv) until the server
closes (sleeping --delay-ms after each), prints "size count" per recv, then "Header length N" and the
header block, and saves the body to --out.

URL defaults to http://data.pr4e.org/cover3.jpg. Without --live the request goes to the built-in replica
of data.pr4e.org, started in this process; with --live it goes to the real host over the internet.

  --recv N        the most bytes one recv may return (default 5120)
  --max-bytes N   give up past this many bytes (default 67108864, 64 MiB): a server that never stops
                  sending cannot fill this machine's memory
  --max-header-bytes N
                  give up on a header block (status line to blank line) longer than this many bytes
                  (default 65536, 64 KiB): a server whose header never ends is stopped there
  --delay-ms N    sleep after each recv, in milliseconds (default 0; the chapter tries 250)
  --out FILE      where to save the body (default stuff.jpg)
  --link NAME     the replica's link profile: ${LINK_NAMES.join(', ')}
                  (default book-run-2 when --delay-ms is set, else book-run-1, like the chapter's runs)
  --live          fetch from the real data.pr4e.org instead of the replica

Try: npm run fetch                       (the chapter's first run)
     npm run fetch -- --delay-ms 250     (the second run, with the sleep)
`;

/** The options, typed for util.parseArgs (strict: anything else is a usage error). */
const OPTIONS = {
	recv: {type: 'string'},
	'delay-ms': {type: 'string'},
	'max-bytes': {type: 'string'},
	'max-header-bytes': {type: 'string'},
	out: {type: 'string'},
	link: {type: 'string'},
	live: {type: 'boolean'},
} as const satisfies OptionTable;
type Flags = CliArgs<typeof OPTIONS>;

async function main(args: Flags): Promise<number> {
	const url = parseUrl(args._[0] ?? 'http://data.pr4e.org/cover3.jpg');
	const recvSize = integerFlag('recv', args.recv, 5120, 1);
	const delayMs = integerFlag('delay-ms', args['delay-ms'], 0);
	const maxBytes = integerFlag('max-bytes', args['max-bytes'], 64 * 1024 * 1024, 1);
	const maxHeaderBytes = integerFlag('max-header-bytes', args['max-header-bytes'], 64 * 1024, 1);
	const link = args.link ?? (delayMs > 0 ? 'book-run-2' : 'book-run-1');
	if (!(LINK_NAMES as readonly string[]).includes(link)) throw new UsageError(`--link must be one of ${LINK_NAMES.join(', ')}, got "${link}"`);
	if (args.live && args.link) throw new UsageError('--link chooses how the replica paces bytes; it has no meaning with --live');
	// npm runs scripts in the project folder; a relative --out means the folder npm was run from.
	const out = path.resolve(process.env['INIT_CWD'] ?? process.cwd(), args.out ?? 'stuff.jpg');

	let replica: Replica | undefined;
	let target: {host: string; port: number};
	if (args.live) {
		target = {host: url.hostname, port: Number(url.port || 80)};
		await checkLiveHost({...target, timeoutMs: 10_000});
	} else {
		replica = await startReplica({link});
		target = replica;
	}
	try {
		const {data} = await retrieve({
			...target,
			request: `GET ${url.href} HTTP/1.0\r\n\r\n`,
			recvSize,
			delayMs,
			maxBytes,
			maxHeaderBytes,
			timeoutMs: 30_000,
			onChunk: (chunk) => console.log(chunk.size, chunk.count),
		});
		const response = splitResponse(data);
		console.log('Header length', response.headerLength);
		console.log(response.headerText.replaceAll('\r\n', '\n'));
		if (response.status.statusCode !== 200) {
			// An error page is not the picture: never put it where the picture goes.
			console.error(`\nnot saved: the server answered ${response.status.statusCode} ${response.status.reasonPhrase}; ${out} is left as it was`);
			return 1;
		}
		await writeFile(out, response.body);
		console.error(`\nsaved ${response.body.length} bytes of ${response.headers.get('content-type') ?? 'data'} to ${out}`);
		return 0;
	} finally {
		await replica?.close();
	}
}

function parseUrl(text: string): URL {
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		throw new UsageError(`not a URL: ${text}`);
	}
	if (url.protocol !== 'http:') throw new UsageError(`only http:// URLs can be fetched over a plain socket, got ${url.protocol}`);
	return url;
}

/** The command, exported for the tests to run in-process (runCommand). */
export const cli: Cli<typeof OPTIONS> = {help: HELP, options: OPTIONS, main};

if (isMainModule(import.meta.url)) runCli(cli);
