/**
 * Section 3's price of safety: a kernel's start plus a first cell, plain against inside a grading sandbox
 * (made, its judge started, the kernel run, all removed: what each graded submission pays on top).
 */
import {performance} from 'node:perf_hooks';
import * as path from 'node:path';
import {GradingRun} from '../grading/sandbox.mjs';
import {sandboxTools} from '../grading/sandbox-tools.mjs';
import {Kernel, type KernelLauncher} from '../notebook-runner/kernel.mjs';
import {projectKernelSpec} from '../notebook-runner/kernelspec.mjs';
import {PROJECT_ROOT} from '../support/project-paths.mjs';
import {alternate, fixed, median} from './stats.mjs';

/** Starts the project's kernel (inside `launcher`, if given), runs `1 + 2`, shuts it down; the wall time. */
async function startAndRunOneCell(cwd: string, launcher?: KernelLauncher): Promise<number> {
	const started = performance.now();
	// As npm run grade starts its kernels: from disk (see grade-submission.mts).
	const kernel = await Kernel.start(projectKernelSpec('tslab', {fromSnapshot: false}), {cwd, ...(launcher ? {launcher} : {})});
	try {
		const outcome = await kernel.execute('1 + 2', {timeoutMs: 30_000, onOutput: () => {}});
		if (outcome.status !== 'ok') throw new Error(`the first cell ended ${outcome.status}: ${outcome.detail}\n${kernel.log}`);
	} finally {
		await kernel.shutdown();
	}
	return performance.now() - started;
}

export async function kernelStartInSandbox(options: {runs: number}): Promise<string[]> {
	const tools = sandboxTools();
	if ('problem' in tools) return [`skipping a kernel's start in the grading sandbox: ${tools.problem}`];
	const run = await GradingRun.start(tools);
	try {
		const samples = await alternate(options.runs, {
			plain: () => startAndRunOneCell(path.join(PROJECT_ROOT, 'notebooks')),
			sandboxed: async () => {
				const started = performance.now();
				const sandbox = await run.sandbox({memoryMiB: 1024, processes: 256, fileMiB: 64});
				try {
					await sandbox.startJudge(() => {});
					await startAndRunOneCell(path.join(sandbox.folder, 'notebooks'), sandbox);
				} finally {
					await run.destroy(sandbox);
				}
				return performance.now() - started;
			},
		});
		const [plain, sandboxed] = [median(samples.plain), median(samples.sandboxed)];
		return [
			`a kernel's start plus a first cell and its shutdown, plain and in a grading sandbox (made, its judge started, removed), median of ${options.runs} alternating runs`,
			`  plain ${fixed(plain)} ms, in the sandbox ${fixed(sandboxed)} ms: the sandbox adds ${fixed(sandboxed - plain)} ms (${fixed(sandboxed / plain, 2)}x)`,
		];
	} finally {
		await run.end();
	}
}
