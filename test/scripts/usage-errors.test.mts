/**
 * Command-line mistakes, each answered with exit code 2, a message that names what is wrong, and the usage
 * line. They run in this process through each script's exported command (runCommand): starting tsx for
 * every mistake cost a second or more each on a busy machine. One mistake per command is still made through
 * tsx, to show the script really runs its command when started and really exits 2.
 */
import * as path from 'node:path';
import {afterEach, describe, expect, test, vi} from 'vitest';
import {type Cli, type CliOutput, type OptionTable, runCommand} from '../../scripts/support/cli.mjs';
import {newMarker, processesLeftAfter} from '../helpers/processes.js';
import {runScript} from '../helpers/run-script.js';

type Run = (argv: readonly string[], output: CliOutput) => Promise<number>;
const runnerOf =
	<Options extends OptionTable>(cli: Cli<Options>): Run =>
	(argv, output) =>
		runCommand(cli, argv, output);

/** Each script's command, imported only when a case needs it (bench and classroom bring much with them). */
const COMMANDS: Record<string, () => Promise<Run>> = {
	'serve.mts': async () => runnerOf((await import('../../scripts/serve.mjs')).cli),
	'fetch.mts': async () => runnerOf((await import('../../scripts/fetch.mjs')).cli),
	'make-image.mts': async () => runnerOf((await import('../../scripts/make-image.mjs')).cli),
	'lesson.mts': async () => runnerOf((await import('../../scripts/lesson.mjs')).cli),
	'grade.mts': async () => runnerOf((await import('../../scripts/grade.mjs')).cli),
	'html.mts': async () => runnerOf((await import('../../scripts/html.mjs')).cli),
	'bench.mts': async () => runnerOf((await import('../../scripts/bench.mjs')).cli),
	'classroom.mts': async () => runnerOf((await import('../../scripts/classroom.mjs')).cli),
	'kernel-install.mts': async () => runnerOf((await import('../../scripts/kernel-install.mjs')).cli),
	'kernel-snapshot.mts': async () => runnerOf((await import('../../scripts/kernel-snapshot.mjs')).cli),
};

interface CommandResult {
	readonly code: number;
	readonly stdout: string;
	readonly stderr: string;
}

/** Runs `script`'s command line in this process, as `npm run` would run it, and collects what it printed. */
async function command(script: string, args: string[]): Promise<CommandResult> {
	const load = COMMANDS[script];
	if (!load) throw new Error(`no command ${script} in COMMANDS`);
	let [stdout, stderr] = ['', ''];
	const code = await (await load())(args, {stdout: {write: (text: string) => (stdout += text)}, stderr: {write: (text: string) => (stderr += text)}});
	return {code, stdout, stderr};
}

const fixture = (name: string): string => path.join('test', 'fixtures', `${name}.ipynb`);

afterEach(() => {
	vi.unstubAllEnvs();
});

describe('command-line mistakes', () => {
	test.each([
		{script: 'serve.mts', args: ['--port', '70000'], message: '--port must be a whole number from 0 to 65535, got 70000'},
		{script: 'serve.mts', args: ['--host='], message: '--host needs an address'},
		{script: 'serve.mts', args: ['--prot', '8080'], message: 'unknown option --prot'},
		{script: 'serve.mts', args: ['--link', 'dial-up'], message: '--link must be one of book-run-1, book-run-2, realistic, fast'},
		{script: 'fetch.mts', args: ['--recv', '-5'], message: '--recv needs a value; a value that starts with "-" needs the --recv=value form'},
		{script: 'fetch.mts', args: ['--recv'], message: '--recv needs a value'},
		{script: 'fetch.mts', args: ['--live=yes'], message: '--live takes no value'},
		{script: 'fetch.mts', args: ['--recv=-5'], message: '--recv must be a whole number of at least 1, got -5'},
		{script: 'fetch.mts', args: ['--recv', '0x10'], message: '--recv must be a whole number of at least 1, got 0x10'},
		{script: 'fetch.mts', args: ['--chek'], message: 'unknown option --chek'},
		{script: 'fetch.mts', args: ['--max-header-bytes', '0'], message: '--max-header-bytes must be a whole number of at least 1, got 0'},
		{script: 'fetch.mts', args: ['https://data.pr4e.org/cover3.jpg'], message: 'only http:// URLs'},
		{script: 'grade.mts', args: ['--jbos', '2', 'x'], message: 'unknown option --jbos'},
		{script: 'html.mts', args: ['--outdir', 'x'], message: 'unknown option --outdir'},
		{script: 'lesson.mts', args: ['--jobs'], message: '--jobs needs a value'},
		{script: 'make-image.mts', args: ['--size', '1'], message: 'unknown option --size'},
		{script: 'bench.mts', args: ['--quik'], message: 'unknown option --quik'},
		{script: 'bench.mts', args: ['--section', '6'], message: '--section must be a whole number from 1 to 5, got 6'},
		{script: 'kernel-install.mts', args: ['--user', '--folder', 'x'], message: '--user and --folder name two places'},
		{script: 'kernel-snapshot.mts', args: ['--check', '--force'], message: '--check builds nothing and --force builds anyway'},
		{script: 'classroom.mts', args: ['--learner', '3'], message: 'unknown option --learner'},
		{script: 'classroom.mts', args: ['--learners', '0'], message: '--learners must be a whole number from 1 to 200, got 0'},
		{script: 'classroom.mts', args: ['--ip='], message: '--ip needs an address'},
	])('$script $args: exit code 2, a message that names what is wrong, and the usage line', async ({script, args, message}) => {
		const result = await command(script, args);
		expect(result.code).toBe(2);
		expect(result.stderr).toContain(message);
		expect(result.stderr).toMatch(/\nusage: (npm run|npx tsx) /);
	});

	// A mistake found before a notebook runs must start no kernel: every process the run started carries the mark.
	test.each([
		{args: [fixture('good'), '--timeout', '2147484'], message: '--timeout must be a whole number from 1 to 2147483, got 2147484'},
		{args: [fixture('good'), '--cell-timeout', '2147484'], message: '--cell-timeout must be a whole number from 1 to 2147483, got 2147484'},
		{args: [fixture('good'), '--check', '--update'], message: '--check and --update do not go together'},
	])('lesson.mts $args: exit code 2 and no kernel started (beyond what a timer can hold, or two modes at once)', async ({args, message}) => {
		const marker = newMarker();
		vi.stubEnv('LESSON_TEST_MARK', marker);
		const result = await command('lesson.mts', args);
		expect(result.code).toBe(2);
		expect(result.stderr).toContain(message);
		expect(await processesLeftAfter(marker)).toEqual([]);
	});
});

describe('--help', () => {
	test('serve documents every link profile, and exits 0', async () => {
		const result = await command('serve.mts', ['--help']);
		expect(result.code).toBe(0);
		expect(result.stdout).toMatch(/^usage: npm run serve/);
		for (const name of ['book-run-1', 'book-run-2', 'realistic', 'fast']) expect(result.stdout).toContain(`  ${name}  `);
	});
});

describe('through tsx, one mistake per command', () => {
	test.each([
		{script: 'serve.mts', args: ['--prot', '8080'], message: 'unknown option --prot', usage: 'usage: npm run serve'},
		{script: 'fetch.mts', args: ['https://data.pr4e.org/cover3.jpg'], message: 'only http:// URLs', usage: 'usage: npm run fetch'},
		{script: 'make-image.mts', args: ['--size', '1'], message: 'unknown option --size', usage: 'usage: npx tsx scripts/make-image.mts'},
		{script: 'lesson.mts', args: ['--jobs'], message: '--jobs needs a value', usage: 'usage: npm run lesson'},
		{script: 'grade.mts', args: ['--jbos', '2', 'x'], message: 'unknown option --jbos', usage: 'usage: npm run grade'},
		{script: 'html.mts', args: ['--outdir', 'x'], message: 'unknown option --outdir', usage: 'usage: npm run html'},
		{script: 'bench.mts', args: ['--quik'], message: 'unknown option --quik', usage: 'usage: npm run bench'},
		{script: 'classroom.mts', args: ['--learners', '0'], message: '--learners must be a whole number from 1 to 200, got 0', usage: 'usage: npm run classroom'},
		{script: 'kernel-install.mts', args: ['--user', '--folder', 'x'], message: '--user and --folder name two places', usage: 'usage: npm run kernel:install'},
		{script: 'kernel-snapshot.mts', args: ['--check', '--force'], message: '--check builds nothing and --force builds anyway', usage: 'usage: npm run kernel:snapshot'},
	])('$script $args exits 2 with the message and the usage line', async ({script, args, message, usage}) => {
		const result = await runScript(script, args);
		expect(result.code).toBe(2);
		expect(result.stderr).toContain(message);
		expect(result.stderr).toContain(usage);
	});
});
