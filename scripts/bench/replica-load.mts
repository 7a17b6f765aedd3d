/** Section 2: the replica's `fast` profile against nginx under wrk, and 1,000 concurrent book-run-2 downloads. */
import {spawn} from 'node:child_process';
import {readFile} from 'node:fs/promises';
import {performance} from 'node:perf_hooks';
import {retrieve} from '../../lib/index.js';
import {PROJECT_ROOT} from '../support/project-paths.mjs';
import {startNginx} from './nginx.mjs';
import {alternate, fixed, median, peakRssMiB, percentile, timeCommand} from './stats.mjs';

const REQUEST = 'GET http://data.pr4e.org/cover3.jpg HTTP/1.0\r\n\r\n';

/** The compiled replica in a process of its own, so that its CPU and memory are its own. */
export async function startReplicaProcess(link: string): Promise<{port: number; pid: number; stop(): void}> {
	const code = `require(process.argv[1]).startReplica({link: process.argv[2]}).then((replica) => console.log('listening on ' + replica.url))`;
	const child = spawn(process.execPath, ['-e', code, PROJECT_ROOT, link], {stdio: ['ignore', 'pipe', 'inherit']});
	const port = await new Promise<number>((resolve, reject) => {
		child.stdout.once('data', (line: Buffer) => resolve(Number(/:(\d+)$/m.exec(line.toString().trim())?.[1])));
		child.once('exit', (exitCode) => reject(new Error(`replica exited with ${exitCode}`)));
	});
	return {port, pid: child.pid!, stop: () => child.kill()};
}

async function wrkRequestsPerSecond(url: string, seconds: number): Promise<number> {
	const result = await timeCommand('wrk', ['-t2', '-c100', `-d${seconds}s`, url]);
	const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(result.stdout)?.[1]);
	const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(result.stdout)?.[0];
	if (!Number.isFinite(rps)) throw new Error(`wrk printed no rate: ${result.stdout}${result.stderr}`);
	if (errors?.startsWith('Non-2xx')) throw new Error(`wrk saw errors: ${errors}`);
	return rps;
}

export async function replicaVersusNginx(options: {runs: number; seconds: number}): Promise<string[]> {
	const cover = await readFile(new URL('../../lib/replica/data/cover3.jpg', import.meta.url));
	const nginx = await startNginx({'cover3.jpg': cover});
	let replica: Awaited<ReturnType<typeof startReplicaProcess>> | undefined;
	try {
		replica = await startReplicaProcess('fast');
		const replicaPort = replica.port;
		const samples = await alternate(options.runs, {
			nginx: () => wrkRequestsPerSecond(`http://127.0.0.1:${nginx.port}/cover3.jpg`, options.seconds),
			replica: () => wrkRequestsPerSecond(`http://127.0.0.1:${replicaPort}/cover3.jpg`, options.seconds),
		});
		const [nginxRps, replicaRps] = [median(samples.nginx), median(samples.replica)];
		return [
			`replica (fast) vs nginx (1 worker, keep-alive off) serving cover3.jpg under wrk -t2 -c100 -d${options.seconds}s, median of ${options.runs}`,
			`  nginx ${fixed(nginxRps)} req/s, replica ${fixed(replicaRps)} req/s: ${fixed(replicaRps / nginxRps, 2)}x nginx (target 0.5x); replica peak RSS ${fixed(await peakRssMiB(replica.pid))} MiB`,
		];
	} finally {
		replica?.stop();
		await nginx.stop();
	}
}

export async function concurrentDownloads(clients: number): Promise<string[]> {
	const cover = await readFile(new URL('../../lib/replica/data/cover3.jpg', import.meta.url));
	const replica = await startReplicaProcess('book-run-2');
	try {
		const started = performance.now();
		const results = await Promise.all(
			Array.from({length: clients}, async () => {
				const {data} = await retrieve({host: '127.0.0.1', port: replica.port, request: REQUEST, delayMs: 250, timeoutMs: 60_000});
				return {ms: performance.now() - started, correct: data.length === 70301 && data.subarray(244).equals(cover)};
			}),
		);
		const times = results.map((result) => result.ms);
		return [
			`${clients} concurrent book-run-2 downloads (each sleeping 250 ms per recv, so at least 3.75 s each)`,
			`  ${results.filter((result) => result.correct).length} of ${clients} byte-for-byte correct; completion p50 ${fixed(percentile(times, 50))} ms, ` +
				`p99 ${fixed(percentile(times, 99))} ms, last ${fixed(Math.max(...times))} ms; replica peak RSS ${fixed(await peakRssMiB(replica.pid))} MiB`,
		];
	} finally {
		replica.stop();
	}
}

export async function bookRuns(runs: number): Promise<string[]> {
	const lines = [`the book profiles, ${runs} consecutive downloads each (the chapter's sizes exactly?)`];
	for (const [link, delayMs, expected] of [
		['book-run-1', 0, [2920, ...Array<number>(42).fill(1460), 2920, 1460, 1681]],
		['book-run-2', 250, [1460, ...Array<number>(13).fill(5120), 2281]],
	] as const) {
		const replica = await startReplicaProcess(link);
		let exact = 0;
		try {
			for (let run = 0; run < runs; run++) {
				const {chunks} = await retrieve({host: '127.0.0.1', port: replica.port, request: REQUEST, delayMs});
				if (chunks.map((chunk) => chunk.size).join(' ') === expected.join(' ')) exact += 1;
			}
		} finally {
			replica.stop();
		}
		lines.push(`  ${link}: ${exact} of ${runs}`);
	}
	return lines;
}
