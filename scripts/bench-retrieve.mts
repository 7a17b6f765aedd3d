import {spawn} from 'node:child_process';
import {performance} from 'node:perf_hooks';
import {retrieve} from '../lib/index.js';
import {integerFlag, runCli} from './cli.mjs';

const HELP = `
usage: npm run bench:retrieve -- [--mib 64] [--runs 5] [--recv 5120,65536]

Times retrieve() downloading --mib MiB from a loopback server in another process (so the server does not
share our event loop), --runs times per recv size, alternating sizes, after one warm-up each.
Prints the median wall time, the throughput and the time per MiB.
`;

// The server: answers any request with a small header and N bytes, written in 1 MiB slices.
const SERVER = `
const size = Number(process.argv[1]);
const slice = Buffer.alloc(1 << 20, 120);
const server = require('node:net').createServer((socket) => {
	socket.once('data', () => {
		socket.write('HTTP/1.0 200 OK\\r\\nContent-Length: ' + size + '\\r\\n\\r\\n');
		let left = size;
		const more = () => {
			while (left > 0) {
				const part = slice.subarray(0, Math.min(left, slice.length));
				left -= part.length;
				if (!socket.write(part)) return socket.once('drain', more);
			}
			socket.end();
		};
		more();
	});
});
server.listen(0, '127.0.0.1', () => process.stdout.write('listening on ' + server.address().port + '\\n'));
`;

interface Flags {
	mib?: string;
	runs?: string;
	recv?: string;
}

async function main(args: Flags): Promise<void> {
	const mib = integerFlag('mib', args.mib, 64);
	const runs = integerFlag('runs', args.runs, 5);
	const recvSizes = (args.recv ?? '5120,65536').split(',').map((size) => integerFlag('recv', size, 5120));
	const server = spawn(process.execPath, ['-e', SERVER, String(mib * 1024 * 1024)], {stdio: ['ignore', 'pipe', 'inherit']});
	try {
		const port = await new Promise<number>((resolve, reject) => {
			server.stdout.once('data', (line: Buffer) => resolve(Number(/listening on (\d+)/.exec(line.toString())?.[1])));
			server.once('exit', (code) => reject(new Error(`server exited with code ${code}`)));
		});
		const times = new Map<number, number[]>(recvSizes.map((size) => [size, []]));
		for (let run = -1; run < runs; run++) {
			for (const recvSize of recvSizes) {
				const started = performance.now();
				const {data} = await retrieve({host: '127.0.0.1', port, request: 'GET / HTTP/1.0\r\n\r\n', recvSize});
				const elapsed = performance.now() - started;
				if (data.length < mib * 1024 * 1024) throw new Error(`short download: ${data.length} bytes`);
				if (run >= 0) times.get(recvSize)!.push(elapsed);
			}
		}
		console.log(`retrieve() of ${mib} MiB on loopback, median of ${runs} runs (node ${process.version})`);
		for (const [recvSize, samples] of times) {
			const ms = median(samples);
			console.log(
				`  recvSize ${String(recvSize).padStart(6)}: ${ms.toFixed(0).padStart(6)} ms  ` +
					`${((mib / ms) * 1000).toFixed(0).padStart(5)} MiB/s  ${(ms / mib).toFixed(2)} ms/MiB  ` +
					`(runs: ${samples.map((sample) => sample.toFixed(0)).join(', ')})`,
			);
		}
	} finally {
		server.kill();
	}
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = sorted.length >> 1;
	return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

runCli<Flags>({help: HELP, parse: {string: ['mib', 'runs', 'recv']}, main});
