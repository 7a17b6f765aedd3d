import {accessSync, constants, realpathSync} from 'node:fs';
import * as path from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs, type ParseArgsConfig} from 'node:util';
import {MAX_TIMER_MS} from '../../lib/timer-limit.js';

/** Thrown for a command-line mistake: printed with the usage line and exit code 2, without a stack. */
export class UsageError extends Error {}

/** A script's option table, as util.parseArgs takes it: `{recv: {type: 'string'}, live: {type: 'boolean'}}`. */
export type OptionTable = NonNullable<ParseArgsConfig['options']>;

/** What a script's main gets: each option typed from its table, and the other arguments in `_`. */
export type CliArgs<Options extends OptionTable> = ReturnType<typeof parseArgs<{options: Options; strict: true; allowPositionals: true}>>['values'] & {
	_: string[];
};

export interface Cli<Options extends OptionTable> {
	/** The whole `--help` text, usage line first. */
	readonly help: string;
	readonly options: Options;
	/** Hand every argument but --help to `main` untouched, in `_` (for a script that passes them on). */
	readonly passThrough?: boolean;
	// biome-ignore lint/suspicious/noConfusingVoidType: a main returns an exit code or nothing (exit 0); `undefined` would refuse a main declared `Promise<void>`.
	readonly main: (args: CliArgs<Options>) => Promise<number | void>;
}

/** Where a command writes its help and its complaints: the process's own streams, or a test's. */
export interface CliOutput {
	readonly stdout: {write(text: string): unknown};
	readonly stderr: {write(text: string): unknown};
}

/**
 * The one command-line parser and exit-code handler every script shares (util.parseArgs, strict): `--help`
 * prints the help and exits 0; an unknown option or a missing value is a usage error, exit 2, naming the
 * option; a UsageError from `main` exits 2 too; any other error prints its message (and code, for library
 * errors) and exits 1. Resolves with the exit code rather than setting it, so that a test can run a
 * command's whole parse and usage path in its own process instead of starting tsx for each mistake.
 */
export async function runCommand<Options extends OptionTable>(cli: Cli<Options>, argv: readonly string[], output: CliOutput = process): Promise<number> {
	const raw = [...argv];
	if (raw.includes('--help')) {
		output.stdout.write(`${cli.help.trim()}\n`);
		return 0;
	}
	if (cli.passThrough) return finish(cli, output, () => cli.main({_: raw} as CliArgs<Options>));
	let parsed: {values: Record<string, unknown>; positionals: string[]};
	try {
		parsed = parseArgs({args: raw, options: cli.options, strict: true, allowPositionals: true});
	} catch (error) {
		return usage(cli, output, describeParseError(error as Error & {code?: string}));
	}
	return finish(cli, output, () => cli.main({...parsed.values, _: parsed.positionals} as CliArgs<Options>));
}

/** Runs `cli` on this process's arguments and sets its exit code (a script's last line, under isMainModule). */
export function runCli<Options extends OptionTable>(cli: Cli<Options>): void {
	void runCommand(cli, process.argv.slice(2)).then((code) => {
		process.exitCode = code;
	});
}

/**
 * Whether the module at `moduleUrl` (its import.meta.url) is the script node was started with, so that a
 * script runs its command when started and only exports it when a test imports it.
 */
export function isMainModule(moduleUrl: string): boolean {
	const entry = process.argv[1];
	if (entry === undefined) return false;
	try {
		return realpathSync(path.resolve(entry)) === realpathSync(fileURLToPath(moduleUrl));
	} catch {
		return false;
	}
}

/** util.parseArgs's complaint in the words of this project's usage errors, naming the option. */
function describeParseError(error: Error & {code?: string}): string {
	const option = /'(-[^' ]+)/.exec(error.message)?.[1] ?? '';
	switch (error.code) {
		case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
			return `unknown option ${option}`;
		case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
			if (/does not take an argument/.test(error.message)) return `${option} takes no value`;
			if (/ambiguous/.test(error.message)) return `${option} needs a value; a value that starts with "-" needs the ${option}=value form, e.g. ${option}=-5`;
			return `${option} needs a value`;
		default:
			return error.message;
	}
}

function usage<Options extends OptionTable>(cli: Cli<Options>, output: CliOutput, message: string): number {
	output.stderr.write(`${message}\n${cli.help.trim().split('\n')[0]}\n`);
	return 2;
}

/** The one exit-code handler: a UsageError exits 2 with the usage line, any other error 1. */
// biome-ignore lint/suspicious/noConfusingVoidType: what `main` returns, as above.
async function finish<Options extends OptionTable>(cli: Cli<Options>, output: CliOutput, run: () => Promise<number | void>): Promise<number> {
	try {
		return (await run()) ?? 0;
	} catch (error) {
		if (error instanceof UsageError) return usage(cli, output, error.message);
		const code = (error as {code?: unknown}).code;
		output.stderr.write(`error${typeof code === 'string' ? ` ${code}` : ''}: ${(error as Error).message ?? String(error)}\n`);
		return 1;
	}
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

/** The first of these programs on PATH (then in `alsoIn`), by absolute path. */
export function findOnPath(programs: string[], alsoIn: readonly string[] = []): string | undefined {
	for (const program of programs) {
		for (const folder of [...(process.env['PATH'] ?? '').split(path.delimiter), ...alsoIn].filter(Boolean)) {
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
