import {accessSync, constants} from 'node:fs';
import * as path from 'node:path';
import {minimist} from 'zx';

/** Thrown for a command-line mistake: printed with the usage line and exit code 2, without a stack. */
export class UsageError extends Error {}

export interface Cli<Flags> {
	/** The whole `--help` text, usage line first. */
	readonly help: string;
	readonly parse: minimist.Opts;
	readonly main: (args: minimist.ParsedArgs & Flags) => Promise<number | void>;
}

/**
 * The one exit-code handler every script shares: `--help` prints the help and exits 0, a UsageError
 * exits 2, any other error prints its message (and code, for library errors) and exits 1.
 */
export function runCli<Flags>(cli: Cli<Flags>): void {
	const args = minimist(process.argv.slice(2), {...cli.parse, boolean: [...toArray(cli.parse.boolean), 'help']});
	if (args.help) {
		process.stdout.write(`${cli.help.trim()}\n`);
		return;
	}
	cli.main(args as minimist.ParsedArgs & Flags).then(
		(code) => {
			process.exitCode = code ?? 0;
		},
		(error: unknown) => {
			if (error instanceof UsageError) {
				process.stderr.write(`${error.message}\n${cli.help.trim().split('\n')[0]}\n`);
				process.exitCode = 2;
				return;
			}
			const code = (error as {code?: unknown}).code;
			process.stderr.write(`error${typeof code === 'string' ? ` ${code}` : ''}: ${(error as Error).message ?? String(error)}\n`);
			process.exitCode = 1;
		},
	);
}

function toArray(value: string | string[] | boolean | undefined): string[] {
	if (Array.isArray(value)) return value;
	return typeof value === 'string' ? [value] : [];
}

/** A whole number flag of at least `minimum`, or a UsageError naming the flag. */
export function integerFlag(name: string, value: unknown, fallback: number, minimum = 0): number {
	if (value === undefined) return fallback;
	const number = Number(value);
	if (String(value).trim() === '' || !Number.isSafeInteger(number) || number < minimum) {
		throw new UsageError(`--${name} must be a whole number of at least ${minimum}, got ${String(value)}`);
	}
	return number;
}

/** The first of these programs on PATH, by absolute path. */
export function findOnPath(programs: string[]): string | undefined {
	for (const program of programs) {
		for (const folder of (process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean)) {
			const candidate = path.join(folder, program);
			try {
				accessSync(candidate, constants.X_OK);
				return candidate;
			} catch {
				// Not in this folder.
			}
		}
	}
	return undefined;
}
