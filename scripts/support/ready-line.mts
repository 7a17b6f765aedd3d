/**
 * Waiting for a server a script started to say it is ready: its stdout is read until a line matches,
 * so that nothing is asked of it before it listens.
 */
import type {ProcessOutput, ProcessPromise} from 'zx/core';
import {ProgramError} from './program-error.mjs';

/** A program's stdout as lines not yet looked at, kept from its first readyLine on, and who waits for more. */
interface LineBuffer {
	readonly lines: string[];
	partial: string;
	readonly listeners: Set<() => void>;
}

const buffers = new WeakMap<ProcessPromise, LineBuffer>();

/**
 * The program's line buffer, made (and fed from its stdout) on first use, so that lines that came in the
 * same chunk as one readyLine's match are there for the next readyLine on the same program.
 */
function lineBuffer(program: ProcessPromise): LineBuffer {
	const existing = buffers.get(program);
	if (existing) return existing;
	const buffer: LineBuffer = {lines: [], partial: '', listeners: new Set()};
	program.stdout.on('data', (chunk: Buffer | string) => {
		const lines = (buffer.partial + chunk.toString()).split('\n');
		buffer.partial = lines.pop() ?? '';
		buffer.lines.push(...lines);
		for (const listener of buffer.listeners) listener();
	});
	buffers.set(program, buffer);
	return buffer;
}

/**
 * Resolves with the match of the first line of `program`'s stdout not yet read by an earlier readyLine that
 * matches `pattern`; the lines before it are passed over, the lines after it are kept for the next readyLine.
 * Rejects if the program ends first (a ProgramError with its exit code and stderr) or after `timeoutMs`. zx
 * keeps reading the stream, so the program never blocks on it.
 */
export function readyLine(program: ProcessPromise, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
	const buffer = lineBuffer(program);
	return new Promise((resolve, reject) => {
		const settle = (): void => {
			clearTimeout(timer);
			buffer.listeners.delete(scan);
		};
		const scan = (): void => {
			for (let line = buffer.lines.shift(); line !== undefined; line = buffer.lines.shift()) {
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
		buffer.listeners.add(scan);
		// Settled first, the promise ignores these: a server stopped later ends here too.
		const ended = (output: ProcessOutput): void => {
			settle();
			reject(new ProgramError(program.cmd, output, `before printing a line matching ${pattern}`));
		};
		program.then(ended, ended);
		scan();
	});
}
