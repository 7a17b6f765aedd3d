/**
 * A program a script ran that failed, told the way a reader of a bench or classroom log needs it: the
 * command, how it ended and the end of its stderr. (zx's own message starts with its call site and a note
 * on the exit code, and keeps all of stderr.)
 */
import type {ProcessOutput, ProcessPromise} from 'zx/core';

/** How much of a failed program's stderr the message keeps, in characters: its end, where programs say what went wrong. */
const STDERR_TAIL = 2000;

export class ProgramError extends Error {
	override readonly name = 'ProgramError';
	/** The command as the shell ran it, arguments quoted. */
	readonly command: string;
	/** Its exit code, or null when a signal ended it. */
	readonly exitCode: number | null;
	readonly signal: NodeJS.Signals | null;
	readonly stderr: string;

	/** `when` follows how it ended: "before printing its ready line". */
	constructor(command: string, output: ProcessOutput, when?: string) {
		const ending = (output.signal ? `was ended by ${output.signal}` : `exited with code ${output.exitCode}`) + (when ? ` ${when}` : '');
		// A program that could not start at all has no stderr, only the spawn's error.
		const said = (output.stderr.trim() || (output.cause?.message ?? output.stdout.trim())).slice(-STDERR_TAIL);
		super(`${command} ${ending}${said ? `:\n${said}` : ''}`, {cause: output});
		this.command = command;
		this.exitCode = output.exitCode;
		this.signal = output.signal;
		this.stderr = output.stderr;
	}
}

/** The program's output once it has ended well (exit code 0), or else a ProgramError. */
export async function succeeded(program: ProcessPromise): Promise<ProcessOutput> {
	const output = await program.nothrow();
	if (!output.ok) throw new ProgramError(program.cmd, output);
	return output;
}
