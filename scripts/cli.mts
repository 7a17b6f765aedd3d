import {accessSync, constants} from 'node:fs';
import * as path from 'node:path';
import {minimist} from 'zx';
import {MAX_TIMER_MS} from '../lib/timer-limit.js';

/** Thrown for a command-line mistake: printed with the usage line and exit code 2, without a stack. */
export class UsageError extends Error {}

export interface Cli<Flags> {
	/** The whole `--help` text, usage line first. */
	readonly help: string;
	readonly parse: minimist.Opts;
	/** Hand every argument but --help to `main` untouched, in `_` (for a script that passes them on). */
	readonly passThrough?: boolean;
	readonly main: (args: minimist.ParsedArgs & Flags) => Promise<number | void>;
}

/**
 * The one exit-code handler every script shares: `--help` prints the help and exits 0, a UsageError
 * exits 2, any other error prints its message (and code, for library errors) and exits 1.
 */
export function runCli<Flags>(cli: Cli<Flags>): void {
	if (cli.passThrough) {
		const raw = process.argv.slice(2);
		if (raw.includes('--help')) process.stdout.write(`${cli.help.trim()}\n`);
		else finish(cli, cli.main({_: raw} as unknown as minimist.ParsedArgs & Flags));
		return;
	}
	const known = new Set([...toArray(cli.parse.string), ...toArray(cli.parse.boolean), 'help']);
	const unknown: string[] = [];
	const args = minimist(process.argv.slice(2), {
		...cli.parse,
		boolean: [...toArray(cli.parse.boolean), 'help'],
		// A mistyped option (--chek) must not be taken for a file name or silently dropped.
		unknown: (arg) => {
			if (!arg.startsWith('-') || arg === '-') return true;
			const name = arg.replace(/^--?(no-)?/, '').split('=')[0]!;
			if (!known.has(name)) unknown.push(arg);
			return known.has(name);
		},
	});
	if (unknown.length > 0) {
		const hint = unknown.some((arg) => /^-\d/.test(arg)) ? ' (a value that starts with "-" needs the --name=value form, e.g. --recv=-5)' : '';
		process.stderr.write(`unknown option ${unknown.join(', ')}${hint}\n${cli.help.trim().split('\n')[0]}\n`);
		process.exitCode = 2;
		return;
	}
	if (args.help) {
		process.stdout.write(`${cli.help.trim()}\n`);
		return;
	}
	finish(cli, cli.main(args as minimist.ParsedArgs & Flags));
}

/** The one exit-code handler: a UsageError exits 2 with the usage line, any other error 1. */
function finish<Flags>(cli: Cli<Flags>, run: Promise<number | void>): void {
	run.then(
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

/** A whole number flag from `minimum` to `maximum`, or a UsageError naming the flag. */
export function integerFlag(name: string, value: unknown, fallback: number, minimum = 0, maximum = Number.MAX_SAFE_INTEGER): number {
	if (value === undefined) return fallback;
	if (value === '' || value === true) throw new UsageError(`--${name} needs a value, a whole number`);
	const number = Number(value);
	// Decimal digits only: Number() would also take 0x10, 1e3 or " 12 ".
	if (!/^-?\d+$/.test(String(value)) || !Number.isSafeInteger(number) || number < minimum || number > maximum) {
		const range = maximum === Number.MAX_SAFE_INTEGER ? `of at least ${minimum}` : `from ${minimum} to ${maximum}`;
		throw new UsageError(`--${name} must be a whole number ${range}, got ${String(value)}`);
	}
	return number;
}

/** The longest time limit Node's timers can hold, in whole seconds: a longer one would fire at once. */
export const MAX_TIMER_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

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
