import type {IOutput, IStream} from '@jupyterlab/nbformat';
import {mkdir, readFile, writeFile} from 'node:fs/promises';
import * as path from 'node:path';
import {type Cli, type CliArgs, integerFlag, isMainModule, MAX_TIMER_SECONDS, type OptionTable, runCli, UsageError} from './support/cli.mjs';
import {ensureFreshBuild} from './support/fresh-build.mjs';
import {compareNotebooks} from './notebook-runner/compare.mjs';
import {Kernel} from './notebook-runner/kernel.mjs';
import {escapeMarkup} from '../lib/escape-markup.js';
import {lessonNotebookFiles, PROJECT_ROOT} from './support/project-paths.mjs';
import {readNotebook, writeNotebook} from './notebook-runner/notebook-file.mjs';
import {joinText, outputAsText} from './notebook-runner/outputs.mjs';
import {DEFAULT_JOBS, inParallel} from './notebook-runner/pool.mjs';
import {type RunResult, runNotebook} from './notebook-runner/run-notebook.mjs';

const HELP = `
usage: npm run lesson -- [NOTEBOOK...] [--check | --update] [--param NAME=VALUE]... [--jobs N] [--junit FILE] [--cell-timeout S] [--timeout S] [--quiet]

Runs notebooks through the tslab kernel over the Jupyter protocol (no Python or Jupyter needed), printing
their text output as it arrives and one summary line per notebook. With no NOTEBOOK, runs every
notebooks/*.ipynb in name order. Exits 1 if any cell fails (or any check differs), 2 for a usage mistake.

  (default)          write the executed notebooks to test-results/notebooks/ (git-ignored); tracked files
                     are left untouched
  --check            compare fresh outputs with the committed ones, after the notebook's sanitizers
                     (metadata.lesson.sanitizers: [{"pattern": REGEX, "replacement": TEXT}]); print a diff
  --update           rewrite the notebooks' stored outputs in place (atomically), keeping cell ids and
                     null execution counts; a notebook with a failing cell is not rewritten
  --param NAME=VALUE after the cell tagged "parameters", declare NAME again with VALUE, typed like its
                     declaration there (number, string or boolean); repeatable
  --jobs N           notebooks run at once, each with its own kernel (default: the number of cores, ${DEFAULT_JOBS}
                     here); with more than one, each notebook's output is printed whole when it ends
  --junit FILE       also write a JUnit XML report: one test case per notebook, a failure with its cell
                     and error (CI systems read it)
  --cell-timeout S   time limit per cell in seconds (default 120): the cell is interrupted, then the kernel killed
  --timeout S        time limit per notebook in seconds, kernel start included (default 1800)
  --quiet            print only the summary lines and failures

Cells are reported as "code cell N (cell M in the file)": N counts code cells only, M counts every cell,
markdown included, both from 1. Cell tags: "raises-exception" (the cell must fail), "skip-execution"
(not run; its stored outputs are kept), "parameters" (the knobs --param overrides).
`;

/** The options, typed for util.parseArgs (strict: anything else is a usage error). */
const OPTIONS = {
	param: {type: 'string', multiple: true},
	'cell-timeout': {type: 'string'},
	timeout: {type: 'string'},
	jobs: {type: 'string'},
	junit: {type: 'string'},
	check: {type: 'boolean'},
	update: {type: 'boolean'},
	quiet: {type: 'boolean'},
} as const satisfies OptionTable;
type Flags = CliArgs<typeof OPTIONS>;

/** Where one notebook's report goes: straight to the terminal, or kept whole until the notebook ends. */
interface Report {
	out(text: string): void;
	err(text: string): void;
}

/** How one notebook went, for the summary and the JUnit report. */
interface Outcome {
	readonly name: string;
	readonly ok: boolean;
	readonly verdict: string;
	readonly seconds: number;
	readonly failure?: string;
}

async function main(args: Flags): Promise<number> {
	if (args.check && args.update) throw new UsageError('--check and --update do not go together: check first, then update');
	const params = args.param === undefined ? [] : [args.param].flat();
	if (args.update && params.length > 0) throw new UsageError('--update with --param would store outputs of changed parameters; run them without --update');
	const cellTimeoutMs = integerFlag('cell-timeout', args['cell-timeout'], 120, 1, MAX_TIMER_SECONDS) * 1000;
	const notebookTimeoutMs = integerFlag('timeout', args.timeout, 1800, 1, MAX_TIMER_SECONDS) * 1000;
	const files = args._.length > 0 ? args._.map((file) => path.resolve(process.env['INIT_CWD'] ?? process.cwd(), file)) : await lessonNotebookFiles();
	if (files.length === 0) throw new UsageError('no notebooks to run');
	// After the argument checks: a usage mistake is told at once, not after a build.
	await ensureFreshBuild();

	for (const signal of ['SIGINT', 'SIGTERM'] as const) {
		process.once(signal, () => {
			process.stderr.write(`\n${signal}: stopping the kernel\n`);
			void Kernel.killAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
		});
	}

	const jobs = integerFlag('jobs', args.jobs, DEFAULT_JOBS, 1, 64);
	const live = jobs === 1 || files.length === 1;
	const outcomes = await inParallel(files, jobs, async (file) => {
		// One notebook at a time prints as it goes; side by side, each prints whole when it ends.
		let kept = '';
		const report: Report = live ? {out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text)} : {out: (text) => (kept += text), err: (text) => (kept += text)};
		const outcome = await runOne(file, args, {params, cellTimeoutMs, notebookTimeoutMs}, report);
		if (!live) process.stdout.write(kept);
		return outcome;
	});
	const passed = outcomes.filter((outcome) => outcome.ok).length;
	console.log(`\n${passed} passed, ${files.length - passed} failed`);
	if (args.junit) {
		const junit = path.resolve(process.env['INIT_CWD'] ?? process.cwd(), args.junit);
		await mkdir(path.dirname(junit), {recursive: true});
		await writeFile(junit, junitReport(outcomes));
		console.log(`JUnit report: ${path.relative(process.env['INIT_CWD'] ?? process.cwd(), junit)}`);
	}
	return passed === files.length ? 0 : 1;
}

/** Runs one notebook as the flags say (check, update or copy) and reports it; never throws. */
async function runOne(file: string, args: Flags, limits: {params: string[]; cellTimeoutMs: number; notebookTimeoutMs: number}, report: Report): Promise<Outcome> {
	const name = path.relative(process.env['INIT_CWD'] ?? process.cwd(), file) || file;
	if (!args.quiet) report.out(`\n=== ${name}\n`);
	let result: RunResult;
	let original: string;
	try {
		// As it was before the run: --update refuses to overwrite edits made while it ran.
		original = await readFile(file, 'utf8');
		result = await runNotebook(file, {
			params: limits.params,
			cellTimeoutMs: limits.cellTimeoutMs,
			notebookTimeoutMs: limits.notebookTimeoutMs,
			...(args.quiet ? {} : {onOutput: (output: IOutput) => printOutput(output, report)}),
		});
	} catch (error) {
		// An unreadable notebook or a bad --param: this notebook fails, the others still run.
		report.err(`✗ ${name}: ${(error as Error).message}\n`);
		return {name, ok: false, verdict: 'could not run', seconds: 0, failure: (error as Error).message};
	}
	let ok = result.failure === undefined;
	let verdict = ok ? 'ran' : 'FAILED';
	let failure: string | undefined = result.failure ? describeFailure(name, result) : undefined;
	try {
		if (failure) report.out(`${failure}\n`);
		else if (args.check) {
			const differences = compareNotebooks(await readNotebook(file), result.notebook);
			if (differences) {
				ok = false;
				verdict = 'DIFFERS from its stored outputs';
				failure = `fresh outputs differ from the stored ones (--update stores them):\n${differences}`;
				report.out(`\n${name}: ${failure}\n`);
			} else verdict = 'matches its stored outputs';
		} else if (args.update) {
			await writeNotebook(file, result.notebook, {unchangedSince: original});
			verdict = 'updated';
		} else {
			const copy = path.join(PROJECT_ROOT, 'test-results', 'notebooks', path.basename(file));
			await mkdir(path.dirname(copy), {recursive: true});
			await writeNotebook(copy, result.notebook);
		}
	} catch (error) {
		// The notebook ran, but its result could not be stored or compared: say so, and go on with the others.
		ok = false;
		verdict = `FAILED: ${(error as Error).message}`;
		failure = verdict;
	}
	const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
	const timing = `${seconds(result.durationMs)} (kernel start ${seconds(result.kernelStartMs)}, inside cells ${seconds(result.cellsMs)})`;
	report.out(`${ok ? '✓' : '✗'} ${name}: ${verdict}; ${result.codeCellsRun} code cells in ${timing}\n`);
	return {name, ok, verdict, seconds: result.durationMs / 1000, ...(failure ? {failure} : {})};
}

function printOutput(output: IOutput, report: Report): void {
	if (output.output_type === 'stream' && (output as IStream).name === 'stderr') report.err(joinText((output as IStream).text));
	else report.out(outputAsText(output));
}

function describeFailure(name: string, result: RunResult): string {
	const failure = result.failure!;
	const where = failure.codeCellNumber > 0 ? ` at code cell ${failure.codeCellNumber} (cell ${failure.fileCellNumber} in the file)` : '';
	const indent = (text: string): string =>
		text
			.split('\n')
			.map((line) => `    | ${line}`)
			.join('\n');
	const lines = [`\n✗ ${name} failed${where}: ${failure.kind}`];
	if (failure.source) lines.push('  source:', indent(failure.source.split('\n').slice(0, 8).join('\n')));
	lines.push('  kernel said:', indent(failure.message));
	return lines.join('\n');
}

/** A JUnit XML report, as CI systems read it: one test case per notebook. */
function junitReport(outcomes: readonly Outcome[]): string {
	// XML 1.0 has no place for most control characters, even as references: they are left out.
	const xml = (text: string): string => escapeMarkup(text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, ''));
	const failures = outcomes.filter((outcome) => !outcome.ok).length;
	const total = outcomes.reduce((sum, outcome) => sum + outcome.seconds, 0);
	const cases = outcomes.map((outcome) => {
		const open = `  <testcase classname="lesson" name="${xml(outcome.name)}" time="${outcome.seconds.toFixed(3)}"`;
		if (outcome.ok) return `${open}/>`;
		const message = (outcome.failure ?? outcome.verdict).trim();
		return `${open}>\n    <failure message="${xml(message.split('\n').find((line) => line.trim()) ?? outcome.verdict)}">${xml(message)}</failure>\n  </testcase>`;
	});
	return [
		'<?xml version="1.0" encoding="UTF-8"?>',
		`<testsuites tests="${outcomes.length}" failures="${failures}" time="${total.toFixed(3)}">`,
		`<testsuite name="notebooks" tests="${outcomes.length}" failures="${failures}" errors="0" skipped="0" time="${total.toFixed(3)}">`,
		...cases,
		'</testsuite>',
		'</testsuites>',
		'',
	].join('\n');
}

/** The command, exported for the tests to run in-process (runCommand). */
export const cli: Cli<typeof OPTIONS> = {help: HELP, options: OPTIONS, main};

if (isMainModule(import.meta.url)) runCli(cli);
