/**
 * The stop button in a real tslab kernel: SIGINT, as Jupyter sends it, while a cell is inside the library's
 * calls. What matters to a learner: the cell stops within a second, the loop does not go on in the
 * background, and the kernel keeps the variables of earlier cells.
 */
import * as path from 'node:path';
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {Kernel} from '../../scripts/notebook-runner/kernel.mjs';
import {projectKernelSpec} from '../../scripts/notebook-runner/kernelspec.mjs';
import {PROJECT_ROOT} from '../../scripts/support/project-paths.mjs';
import {iopubMessage} from '../../scripts/notebook-runner/iopub.mjs';
import type {JupyterMessage} from '../../scripts/notebook-runner/wire.mjs';

let kernel: Kernel;

beforeAll(async () => {
	// In notebooks/, as Jupyter starts it, so that cells import the library from '..'.
	kernel = await Kernel.start(projectKernelSpec('tslab'), {cwd: path.join(PROJECT_ROOT, 'notebooks')});
	const setUp = await run(`
		import {Socket, startReplica} from '..';
		const replica = await startReplica({link: 'fast'});
		const kept = 'still here';
		let iterations = 0;
		const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
	`);
	expect(setUp.status, setUp.error).toBe('ok');
});

afterAll(async () => {
	await kernel?.shutdown();
});

interface CellRun {
	status: string;
	stdout: string;
	stderr: string;
	/** The cell's error output: its name, message and traceback, one line each. */
	error: string;
	/** Milliseconds from the interrupt (if any) to the reply. */
	afterInterruptMs: number;
}

/**
 * Executes one cell; with `interruptWhen`, interrupts it once the cell's stdout contains that text: by SIGINT,
 * or by an interrupt_request on the control channel when `how` is 'message'.
 */
async function run(code: string, interruptWhen?: string, how: 'signal' | 'message' = 'signal'): Promise<CellRun> {
	const result: CellRun = {status: '', stdout: '', stderr: '', error: '', afterInterruptMs: 0};
	let interruptedAt = 0;
	const onOutput = (message: JupyterMessage): void => {
		const iopub = iopubMessage(message);
		if (iopub?.type === 'error') result.error += [`${iopub.ename}: ${iopub.evalue}`, ...iopub.traceback].join('\n');
		if (iopub?.type !== 'stream') return;
		if (iopub.name === 'stdout') result.stdout += iopub.text;
		else result.stderr += iopub.text;
		if (interruptWhen && !interruptedAt && result.stdout.includes(interruptWhen)) {
			interruptedAt = Date.now();
			if (how === 'message') void kernel.requestInterrupt().then((status) => expect(status).toBe('ok'));
			else kernel.interrupt();
		}
	};
	// An interrupted cell fails, and the next must still run: no stop_on_error, as nbclient sends it for such cells.
	const outcome = await kernel.execute(code, {timeoutMs: 30_000, onOutput, stopOnError: false});
	result.status = outcome.status;
	result.afterInterruptMs = interruptedAt ? Date.now() - interruptedAt : 0;
	return result;
}

describe('the stop button in a real tslab kernel', () => {
	test('stops a recv loop that forgot its break within a second; the loop does not go on, earlier variables stay', async () => {
		const loop = await run(
			`
			const mysock = await Socket.connect(replica.host, replica.port);
			await mysock.sendall('GET http://data.pr4e.org/romeo.txt HTTP/1.0\\r\\n\\r\\n');
			console.log('looping');
			while (true) {
				const data = await mysock.recv(512);
				iterations = iterations + 1; // and no "if (data.length < 1) break;"
				await sleep(20);
			}
			`,
			'looping',
		);
		expect(loop.status, loop.stderr).toBe('error');
		expect(loop.error).toContain('Interrupted');
		expect(loop.stderr).toBe('');
		expect(loop.afterInterruptMs).toBeLessThan(1000);
		const after = await run(`
			const before = iterations;
			await sleep(300);
			console.log(kept, iterations === before ? 'and the loop has stopped' : 'but the loop goes on');
		`);
		expect(after.stderr).toBe('');
		expect(after.stdout).toBe('still here and the loop has stopped\n');
	});

	test('stops a recv that waits for bytes that never come, and the socket works in the next cell', async () => {
		const waiting = await run(
			`
			// Connected, but no request sent: the replica waits for one, so recv waits too.
			const quiet = await Socket.connect(replica.host, replica.port);
			console.log('waiting');
			await quiet.recv(5120);
			`,
			'waiting',
		);
		expect(waiting.status).toBe('error');
		expect(waiting.error).toContain('InterruptedError');
		expect(waiting.afterInterruptMs).toBeLessThan(1000);
		const next = await run(`
			const again = await Socket.connect(replica.host, replica.port);
			await again.sendall('GET /romeo.txt HTTP/1.0\\r\\n\\r\\n');
			let total = 0;
			for (;;) {
				const data = await again.recv(5120);
				if (data.length < 1) break;
				total = total + data.length;
			}
			console.log(kept, total > 167);
		`);
		expect(next.stderr).toBe('');
		expect(next.stdout).toBe('still here true\n');
	});

	test('without an interrupt, a loop that forgot its break ends itself with an error that says how to stop', async () => {
		const loop = await run(`
			const sock = await Socket.connect(replica.host, replica.port);
			await sock.sendall('GET /romeo.txt HTTP/1.0\\r\\n\\r\\n');
			while (true) {
				const data = await sock.recv(5120);
			}
		`);
		expect(loop.status).toBe('error');
		expect(loop.error).toContain('RecvAfterEndError');
		expect(loop.error).toContain('if (data.length < 1) break;');
		// The traceback points at the cell's own line, not at tslab or Node.
		expect(loop.error).toContain('const data = await sock.recv(5120);');
		expect(loop.error).not.toMatch(/node:internal|node_modules\/tslab/);
	});

	// Only for a cell that awaits: a loop that never awaits holds the event loop, so no message gets in. That
	// is why the kernelspec keeps Jupyter's default, SIGINT, which V8 honours even inside such a loop.
	test('an interrupt_request on the control channel stops a waiting cell as SIGINT does', async () => {
		const waiting = await run(
			`
			const quiet2 = await Socket.connect(replica.host, replica.port);
			console.log('waiting');
			await quiet2.recv(5120);
			`,
			'waiting',
			'message',
		);
		expect(waiting.status).toBe('error');
		expect(waiting.error).toContain('Interrupted');
		expect(waiting.afterInterruptMs).toBeLessThan(1000);
		const next = await run('console.log(kept)');
		expect(next.stdout).toBe('still here\n');
	});
});
