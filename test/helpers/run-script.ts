import {type ChildProcessWithoutNullStreams, spawn} from 'node:child_process';
import * as path from 'node:path';
import {onTestFinished} from 'vitest';
import {PROJECT_ROOT} from '../../scripts/support/project-root';

export {PROJECT_ROOT};
const TSX = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');

export interface ScriptResult {
	readonly code: number | null;
	readonly stdout: string;
	readonly stderr: string;
}

/** Starts `scripts/NAME` with tsx, as `npm run` would; killed when the test finishes if still running. */
export function spawnScript(name: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcessWithoutNullStreams {
	const child = spawn(TSX, [path.join(PROJECT_ROOT, 'scripts', name), ...args], {
		cwd: PROJECT_ROOT,
		env: {...process.env, ...env},
	});
	onTestFinished(() => {
		if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
	});
	return child;
}

/** Runs `scripts/NAME` to the end and collects what it printed. */
export function runScript(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ScriptResult> {
	const child = spawnScript(name, args, env);
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
	child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
	return new Promise((resolve, reject) => {
		child.on('error', reject);
		child.on('close', (code) => resolve({code, stdout, stderr}));
	});
}

/** Resolves with the first match of `pattern` in the child's stdout (a ready line, say). */
export function waitForLine(child: ChildProcessWithoutNullStreams, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
	return new Promise((resolve, reject) => {
		let seen = '';
		const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; got: ${seen}`)), timeoutMs);
		child.stdout.on('data', (data: Buffer) => {
			seen += data.toString();
			const match = pattern.exec(seen);
			if (match) {
				clearTimeout(timer);
				resolve(match);
			}
		});
		child.once('exit', (code) => reject(new Error(`exited with ${code} before printing ${pattern}; got: ${seen}`)));
	});
}
