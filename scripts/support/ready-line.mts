/**
 * Waiting for a server a script started to say it is ready: its stdout is read until a line matches,
 * so that nothing is asked of it before it listens.
 */
import type {ProcessOutput, ProcessPromise} from 'zx/core';
import {ProgramError} from './program-error.mjs';

/**
 * Resolves with the match of the first line of `program`'s stdout that matches `pattern`. Rejects if the
 * program ends first (a ProgramError with its exit code and stderr) or after `timeoutMs`. The lines after
 * it are left to whoever reads them next: zx keeps reading the stream, so the program never blocks on it.
 */
export function readyLine(program: ProcessPromise, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
	return new Promise((resolve, reject) => {
		let partial = '';
		const settle = (): void => {
			clearTimeout(timer);
			program.stdout.off('data', onData);
		};
		const onData = (chunk: Buffer | string): void => {
			const lines = (partial + chunk.toString()).split('\n');
			partial = lines.pop() ?? '';
			for (const line of lines) {
				const match = pattern.exec(line);
				if (match) {
					settle();
					resolve(match);
					return;
				}
			}
		};
		const timer = setTimeout(() => {
			settle();
			reject(new Error(`${program.cmd} printed no line matching ${pattern} within ${timeoutMs} ms`));
		}, timeoutMs);
		program.stdout.on('data', onData);
		// Settled first, the promise ignores these: a server stopped later ends here too.
		const ended = (output: ProcessOutput): void => {
			settle();
			reject(new ProgramError(program.cmd, output, `before printing a line matching ${pattern}`));
		};
		program.then(ended, ended);
	});
}
