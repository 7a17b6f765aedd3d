import type {IOutput, IStream} from '@jupyterlab/nbformat';
import {mkdir, readdir, readFile} from 'node:fs/promises';
import * as path from 'node:path';
import {integerFlag, MAX_TIMER_SECONDS, runCli, UsageError} from './cli.mjs';
import {compareNotebooks} from './notebook-runner/compare.mjs';
import {Kernel} from './notebook-runner/kernel.mjs';
import {PROJECT_ROOT} from './notebook-runner/kernelspec.mjs';
import {readNotebook, writeNotebook} from './notebook-runner/notebook-file.mjs';
import {joinText, outputAsText} from './notebook-runner/outputs.mjs';
import {type RunResult, runNotebook} from './notebook-runner/run-notebook.mjs';

const HELP = `
usage: npm run lesson -- [NOTEBOOK...] [--check | --update] [--param NAME=VALUE]... [--cell-timeout S] [--timeout S] [--quiet]

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
  --cell-timeout S   time limit per cell in seconds (default 120): the cell is interrupted, then the kernel killed
  --timeout S        time limit per notebook in seconds, kernel start included (default 1800)
  --quiet            print only the summary lines and failures

Cells are reported as "code cell N (cell M in the file)": N counts code cells only, M counts every cell,
markdown included, both from 1. Cell tags: "raises-exception" (the cell must fail), "skip-execution"
(not run; its stored outputs are kept), "parameters" (the knobs --param overrides).
`;

interface Flags {
	_: string[];
	check?: boolean;
	update?: boolean;
	param?: string | string[];
	'cell-timeout'?: string;
	timeout?: string;
	quiet?: boolean;
}

async function main(args: Flags): Promise<number> {
	if (args.check && args.update) throw new UsageError('--check and --update do not go together: check first, then update');
	const params = args.param === undefined ? [] : [args.param].flat();
	if (args.update && params.length > 0) throw new UsageError('--update with --param would store outputs of changed parameters; run them without --update');
	const cellTimeoutMs = integerFlag('cell-timeout', args['cell-timeout'], 120, 1, MAX_TIMER_SECONDS) * 1000;
	const notebookTimeoutMs = integerFlag('timeout', args.timeout, 1800, 1, MAX_TIMER_SECONDS) * 1000;
	const files = args._.length > 0 ? args._.map((file) => path.resolve(process.env['INIT_CWD'] ?? process.cwd(), file)) : await lessonNotebooks();
	if (files.length === 0) throw new UsageError('no notebooks to run');

	for (const signal of ['SIGINT', 'SIGTERM'] as const) {
		process.once(signal, () => {
			process.stderr.write(`\n${signal}: stopping the kernel\n`);
			void Kernel.killAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
		});
	}

	let passed = 0;
	for (const file of files) {
		const name = path.relative(process.env['INIT_CWD'] ?? process.cwd(), file) || file;
		if (!args.quiet) console.log(`\n=== ${name}`);
		let result: RunResult;
		let original: string;
		try {
			// As it was before the run: --update refuses to overwrite edits made while it ran.
			original = await readFile(file, 'utf8');
			result = await runNotebook(file, {
				params,
				cellTimeoutMs,
				notebookTimeoutMs,
				...(args.quiet ? {} : {onOutput: printOutput}),
			});
		} catch (error) {
			// An unreadable notebook or a bad --param: this notebook fails, the others still run.
			console.error(`✗ ${name}: ${(error as Error).message}`);
			continue;
		}
		let ok = result.failure === undefined;
		let verdict = ok ? 'ran' : 'FAILED';
		try {
			if (result.failure) printFailure(name, result);
			else if (args.check) {
				const differences = compareNotebooks(await readNotebook(file), result.notebook);
				if (differences) {
					ok = false;
					verdict = 'DIFFERS from its stored outputs';
					console.log(`\n${name}: fresh outputs differ from the stored ones (--update stores them):\n${differences}`);
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
		}
		if (ok) passed += 1;
		const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
		const timing = `${seconds(result.durationMs)} (kernel start ${seconds(result.kernelStartMs)}, inside cells ${seconds(result.cellsMs)})`;
		console.log(`${ok ? '✓' : '✗'} ${name}: ${verdict}; ${result.codeCellsRun} code cells in ${timing}`);
	}
	console.log(`\n${passed} passed, ${files.length - passed} failed`);
	return passed === files.length ? 0 : 1;
}

async function lessonNotebooks(): Promise<string[]> {
	const folder = path.join(PROJECT_ROOT, 'notebooks');
	const names = await readdir(folder).catch(() => []);
	return names
		.filter((name) => name.endsWith('.ipynb'))
		.sort()
		.map((name) => path.join(folder, name));
}

function printOutput(output: IOutput): void {
	if (output.output_type === 'stream' && (output as IStream).name === 'stderr') process.stderr.write(joinText((output as IStream).text));
	else process.stdout.write(outputAsText(output));
}

function printFailure(name: string, result: RunResult): void {
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
	console.log(lines.join('\n'));
}

runCli<Flags>({help: HELP, parse: {string: ['param', 'cell-timeout', 'timeout'], boolean: ['check', 'update', 'quiet']}, main});
