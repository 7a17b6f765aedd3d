/** Section 1: retrieve() against curl, downloading the same bytes from the same loopback nginx. */
import {spawn} from 'node:child_process';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {PROJECT_ROOT} from '../notebook-runner/kernelspec.mjs';
import {startNginx} from './nginx.mjs';
import {alternate, fixed, median, timeCommand} from './stats.mjs';

// One retrieve() in a fresh process, so that its peak RSS is its own: prints {ms, bytes, peakMiB}.
const RETRIEVE_ONCE = `
const {retrieve} = require(process.argv[1]);
(async () => {
	const started = performance.now();
	const {data} = await retrieve({host: '127.0.0.1', port: Number(process.argv[2]), request: 'GET /' + process.argv[3] + ' HTTP/1.0\\r\\n\\r\\n', recvSize: Number(process.argv[4])});
	const ms = performance.now() - started;
	// VmHWM, not resourceUsage().maxRSS: Linux carries the parent's high-water mark into a child's maxRSS.
	const peakKiB = Number(/VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]);
	console.log(JSON.stringify({ms, bytes: data.length, peakMiB: peakKiB / 1024}));
})();
`;

interface RetrieveRun {
	ms: number;
	bytes: number;
	peakMiB: number;
}

function retrieveOnce(port: number, file: string, recvSize: number): Promise<RetrieveRun> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ['-e', RETRIEVE_ONCE, PROJECT_ROOT, String(port), file, String(recvSize)], {stdio: ['ignore', 'pipe', 'inherit']});
		let output = '';
		child.stdout.on('data', (data: Buffer) => (output += data.toString()));
		child.once('close', (code) => (code === 0 ? resolve(JSON.parse(output) as RetrieveRun) : reject(new Error(`retrieve child exited ${code}`))));
	});
}

async function curlSeconds(url: string, output: string): Promise<number> {
	const result = await timeCommand('curl', ['-s', '-o', output, '-w', '%{time_total}', url]);
	if (result.code !== 0) throw new Error(`curl failed: ${result.stderr}`);
	return Number(result.stdout) * 1000;
}

export async function retrieveVersusCurl(options: {runs: number; sizesMiB: number[]}): Promise<string[]> {
	const files = Object.fromEntries(options.sizesMiB.map((mib) => [`${mib}.bin`, Buffer.alloc(mib * 1024 * 1024, 'lesson kit ')]));
	const nginx = await startNginx(files);
	const scratch = await mkdtemp(path.join(tmpdir(), 'lesson-bench-'));
	const lines = [
		`retrieve() vs curl from a loopback nginx (1 worker), median of ${options.runs} alternating runs after a warm-up`,
		'  size     | curl >/dev/null | curl > file | retrieve 65536  ratio¹ | retrieve 5120  ratio¹ | ms/MiB 65536/5120 | peak RSS',
	];
	try {
		for (const mib of options.sizesMiB) {
			const file = `${mib}.bin`;
			const url = `http://127.0.0.1:${nginx.port}/${file}`;
			const peaks: number[] = [];
			const measure = (recvSize: number) => async () => {
				const run = await retrieveOnce(nginx.port, file, recvSize);
				if (run.bytes < mib * 1024 * 1024) throw new Error(`retrieve got ${run.bytes} bytes of ${mib} MiB`);
				peaks.push(run.peakMiB);
				return run.ms;
			};
			const samples = await alternate(options.runs, {
				curlNull: () => curlSeconds(url, '/dev/null'),
				curlFile: async () => {
					const ms = await curlSeconds(url, path.join(scratch, 'out.bin'));
					await rm(path.join(scratch, 'out.bin'), {force: true});
					return ms;
				},
				large: measure(65536),
				small: measure(5120),
			});
			const [curlNull, curlFile, large, small] = [samples.curlNull, samples.curlFile, samples.large, samples.small].map(median) as [number, number, number, number];
			lines.push(
				`  ${String(mib).padStart(3)} MiB  | ${fixed(curlNull).padStart(12)} ms | ${fixed(curlFile).padStart(8)} ms | ` +
					`${fixed(large).padStart(8)} ms  ${fixed(large / curlNull, 2).padStart(5)}x | ${fixed(small).padStart(8)} ms  ${fixed(small / curlNull, 2).padStart(5)}x | ` +
					`${fixed(large / mib, 2)} / ${fixed(small / mib, 2)} | ${fixed(Math.max(...peaks))} MiB (body ${mib} MiB)`,
			);
		}
		lines.push('  ¹ against curl writing to /dev/null; curl > file keeps the body, as retrieve keeps it in memory');
		return lines;
	} finally {
		await nginx.stop();
		await rm(scratch, {recursive: true, force: true});
	}
}
