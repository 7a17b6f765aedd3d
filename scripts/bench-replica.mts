import {spawn} from 'node:child_process';
import {readFile} from 'node:fs/promises';
import {performance} from 'node:perf_hooks';
import {retrieve} from '../lib/index.js';
import {integerFlag, runCli} from './cli.mjs';

const HELP = `
usage: npm run bench:replica -- [--clients 1000] [--book-runs 20]

Starts the replica (the compiled package, in its own process) and measures:
  1. --book-runs consecutive downloads on each book profile, counting those whose recv sizes are
     exactly the chapter's (book-run-1 without sleep, book-run-2 sleeping 250 ms after each recv);
  2. --clients concurrent book-run-2 downloads sleeping 250 ms per recv: how many arrived byte for byte,
     p50/p99 completion time, and the replica process's peak RSS.
Run it while other work loads the machine to see the book profiles hold up.
`;

const REQUEST = 'GET http://data.pr4e.org/cover3.jpg HTTP/1.0\r\n\r\n';
const RUN_1 = [2920, ...Array<number>(42).fill(1460), 2920, 1460, 1681].join(' ');
const RUN_2 = [1460, ...Array<number>(13).fill(5120), 2281].join(' ');

interface Flags {
	clients?: string;
	'book-runs'?: string;
}

async function main(args: Flags): Promise<void> {
	const clients = integerFlag('clients', args.clients, 1000);
	const bookRuns = integerFlag('book-runs', args['book-runs'], 20);
	const cover = await readFile(new URL('../lib/data/cover3.jpg', import.meta.url));

	for (const [link, delayMs, expected] of [
		['book-run-1', 0, RUN_1],
		['book-run-2', 250, RUN_2],
	] as const) {
		const replica = await startReplicaProcess(link);
		let exact = 0;
		for (let run = 0; run < bookRuns; run++) {
			const {chunks} = await retrieve({host: '127.0.0.1', port: replica.port, request: REQUEST, delayMs});
			const sizes = chunks.map((chunk) => chunk.size).join(' ');
			if (sizes === expected) exact += 1;
			else console.log(`  run ${run + 1} differed: ${describeRun(chunks)}`);
		}
		replica.stop();
		console.log(`${link}: ${exact} of ${bookRuns} consecutive downloads had exactly the chapter's recv sizes`);
	}

	const replica = await startReplicaProcess('book-run-2');
	const started = performance.now();
	const times = await Promise.all(
		Array.from({length: clients}, async () => {
			const {data} = await retrieve({host: '127.0.0.1', port: replica.port, request: REQUEST, delayMs: 250, timeoutMs: 60_000});
			const correct = data.length === 70301 && data.subarray(244).equals(cover);
			return {ms: performance.now() - started, correct};
		}),
	);
	const peakKiB = await replica.peakRssKiB();
	replica.stop();
	const sorted = times.map((time) => time.ms).sort((a, b) => a - b);
	const percentile = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
	console.log(
		`${clients} concurrent book-run-2 downloads: ${times.filter((time) => time.correct).length} byte-for-byte correct; ` +
			`completion p50 ${percentile(50).toFixed(0)} ms, p99 ${percentile(99).toFixed(0)} ms, all done ${sorted.at(-1)!.toFixed(0)} ms; ` +
			`replica peak RSS ${(peakKiB / 1024).toFixed(0)} MiB`,
	);
}

/** The recv sizes with their times, runs of 1460 folded, so a difference from the chapter is easy to spot. */
function describeRun(chunks: {size: number; atMs: number}[]): string {
	return chunks
		.map((chunk) => `${chunk.size}@${chunk.atMs.toFixed(0)}ms`)
		.join(' ')
		.replace(/(?:1460@\d+ms ?){3,}/g, (run) => `[1460 x ${run.trim().split(' ').length}] `);
}

/** The compiled replica in a process of its own, so that its memory and CPU are its own. */
async function startReplicaProcess(link: string): Promise<{port: number; stop(): void; peakRssKiB(): Promise<number>}> {
	const code = `require(${JSON.stringify(new URL('..', import.meta.url).pathname)}).startReplica({link: ${JSON.stringify(link)}})
		.then((replica) => console.log('listening on ' + replica.url))`;
	const child = spawn(process.execPath, ['-e', code], {stdio: ['ignore', 'pipe', 'inherit']});
	const port = await new Promise<number>((resolve, reject) => {
		child.stdout.once('data', (line: Buffer) => resolve(Number(/:(\d+)/.exec(line.toString())?.[1])));
		child.once('exit', (exitCode) => reject(new Error(`replica exited with ${exitCode}`)));
	});
	return {
		port,
		stop: () => child.kill(),
		peakRssKiB: async () => Number(/VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${child.pid}/status`, 'utf8'))?.[1]),
	};
}

runCli<Flags>({help: HELP, parse: {string: ['clients', 'book-runs']}, main});
