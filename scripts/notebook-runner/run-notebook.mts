/** Executes a notebook's code cells in order through its real kernel and collects their outputs. */
import type {ICodeCell, IOutput} from '@jupyterlab/nbformat';
import {performance} from 'node:perf_hooks';
import * as path from 'node:path';
import {Kernel, type ExecuteOutcome, type KernelLauncher} from './kernel.mjs';
import {findKernelSpec, type KernelSpec} from './kernelspec.mjs';
import {cellSource, cellTags, isCodeCell, type Notebook, readNotebook} from './notebook-file.mjs';
import {CellOutputs, type DisplayRegistry} from './outputs.mjs';
import {declaredParameters, injectedParametersSource, ParameterError} from './parameters.mjs';

export interface RunOptions {
	/** `--param NAME=VALUE` assignments for the cell tagged `parameters`. */
	params?: readonly string[];
	/** Time limit per cell, in milliseconds. Default: 120000. */
	cellTimeoutMs?: number;
	/** Time limit for the whole notebook, kernel start included, in milliseconds. Default: 1800000. */
	notebookTimeoutMs?: number;
	/** Called with each output as it arrives, with the code cell's number (1-based). */
	onOutput?: (output: IOutput, codeCellNumber: number) => void;
	/** Overrides the kernelspec named in the notebook's metadata. */
	kernelSpec?: KernelSpec;
	/**
	 * Run every cell even after one fails (for grading), as nbclient's allow_errors does; `failures` lists them
	 * all. Default: stop at the first.
	 */
	keepGoing?: boolean;
	/**
	 * The most characters of output the notebook may produce; past it the kernel is killed and the cell
	 * fails with `output-limit` (a submission that floods its output cannot fill the runner's memory).
	 */
	maxOutputChars?: number;
	/** Run the kernel inside this (a grading sandbox): see KernelLauncher. */
	kernelLauncher?: KernelLauncher;
}

export type FailureKind = 'error' | 'missing-error' | 'timeout' | 'notebook-timeout' | 'kernel-died' | 'kernel-start' | 'output-limit';

/** A cell that did not do what it should; numbers are 1-based. */
export interface CellFailure {
	readonly kind: FailureKind;
	/** Which code cell, counting code cells only (0 when the kernel failed to start). */
	readonly codeCellNumber: number;
	/** Which cell in the file, counting every cell (markdown too). */
	readonly fileCellNumber: number;
	readonly source: string;
	/** The cell's error with its traceback (or what it wrote to stderr), or what happened to the kernel. */
	readonly message: string;
}

export interface RunResult {
	readonly file: string;
	/** The notebook with fresh outputs (and the injected parameters cell, if any). */
	readonly notebook: Notebook;
	readonly failure: CellFailure | undefined;
	/** Every failed cell, in order (more than one only with `keepGoing`). */
	readonly failures: readonly CellFailure[];
	readonly codeCellsRun: number;
	readonly kernelStartMs: number;
	/** Time spent inside cells (the lesson's own work and sleeps), in milliseconds. */
	readonly cellsMs: number;
	readonly durationMs: number;
}

/** Runs `file`; never throws for a cell's failure (see `failure`), only for an unreadable notebook. */
export async function runNotebook(file: string, options: RunOptions = {}): Promise<RunResult> {
	const started = performance.now();
	const deadline = Date.now() + (options.notebookTimeoutMs ?? 1_800_000);
	const cellTimeoutMs = options.cellTimeoutMs ?? 120_000;
	const notebook = withInjectedParameters(await readNotebook(file), options.params ?? []);
	const spec = options.kernelSpec ?? findKernelSpec(kernelName(notebook, file));

	let cellsMs = 0;
	const failures: CellFailure[] = [];
	const result = (codeCellsRun: number, kernelStartMs: number): RunResult => ({
		file,
		notebook,
		failure: failures[0],
		failures,
		codeCellsRun,
		kernelStartMs,
		cellsMs,
		durationMs: performance.now() - started,
	});

	let kernel: Kernel;
	try {
		kernel = await Kernel.start(spec, {
			cwd: path.dirname(path.resolve(file)),
			startTimeoutMs: Math.min(60_000, deadline - Date.now()),
			...(options.kernelLauncher ? {launcher: options.kernelLauncher} : {}),
		});
		// tslab builds its compiler's first program (the type libraries, a second or more; several on a busy
		// machine) at the first cell it compiles. A silent cell of nothing takes that here, so that the
		// notebook's first cell is timed for its own work, not the kernel's.
		const warmUp = await kernel.execute('undefined', {timeoutMs: Math.max(1000, Math.min(60_000, deadline - Date.now())), onOutput: () => {}, silent: true});
		if (warmUp.status !== 'ok') {
			await kernel.kill();
			throw new Error(`the kernel could not compile its first cell (${warmUp.status}${warmUp.detail ? `: ${warmUp.detail}` : ''})\n${kernel.log}`);
		}
	} catch (error) {
		failures.push({kind: 'kernel-start', codeCellNumber: 0, fileCellNumber: 0, source: '', message: (error as Error).message});
		return result(0, performance.now() - started);
	}
	const kernelStartMs = performance.now() - started;

	let codeCellNumber = 0;
	let codeCellsRun = 0;
	let outputChars = 0;
	let flooded = false;
	// One registry for the notebook: a later cell's update_display_data updates an earlier cell's display.
	const displays: DisplayRegistry = new Map();
	try {
		let injectedCells = 0;
		for (const [index, cell] of notebook.cells.entries()) {
			if (!isCodeCell(cell)) continue;
			const tags = cellTags(cell);
			// Numbers name the cells of the file, so the injected parameters cell is not counted.
			const injected = tags.includes('injected-parameters');
			if (injected) injectedCells += 1;
			else codeCellNumber += 1;
			const fileCellNumber = index + 1 - injectedCells + (injected ? 1 : 0);
			if (tags.includes('skip-execution')) continue;
			const collected = new CellOutputs(displays);
			cell.outputs = collected.outputs;
			const number = codeCellNumber;
			const remainingMs = deadline - Date.now();
			const cellStarted = performance.now();
			const outcome = await kernel.execute(cellSource(cell), {
				timeoutMs: Math.min(cellTimeoutMs, remainingMs),
				stopOnError: !cellMayFail(tags, options),
				onOutput: (message) => {
					if (flooded) return;
					// Measured only under a limit: every display would otherwise be serialized once more for nothing.
					if (options.maxOutputChars !== undefined) {
						outputChars += JSON.stringify(message.content).length;
						if (outputChars > options.maxOutputChars) {
							flooded = true;
							void kernel.kill();
							return;
						}
					}
					const output = collected.add(message);
					if (output) options.onOutput?.(output, number);
				},
			});
			cellsMs += performance.now() - cellStarted;
			codeCellsRun += 1;
			const failure = flooded
				? {kind: 'output-limit' as const, message: `the notebook's output passed ${options.maxOutputChars} characters, so its kernel was stopped`}
				: judge(outcome, tags, collected, remainingMs < cellTimeoutMs, kernel);
			if (failure) {
				failures.push({...failure, codeCellNumber: number, fileCellNumber, source: cellSource(cell)});
				// A dead kernel runs nothing more, whatever keepGoing says.
				if (!options.keepGoing || kernel.exitReason !== undefined || flooded || failure.kind === 'notebook-timeout') {
					return result(codeCellsRun, kernelStartMs);
				}
			}
		}
		return result(codeCellsRun, kernelStartMs);
	} finally {
		await kernel.shutdown();
	}
}

/**
 * Whether the run goes on after this cell fails: then the kernel must not abort the cells sent after it
 * (stop_on_error false), as nbclient decides it (client.py, async_execute_cell: allow_errors or the tag).
 */
function cellMayFail(tags: readonly string[], options: RunOptions): boolean {
	return options.keepGoing === true || tags.includes('raises-exception');
}

function judge(outcome: ExecuteOutcome, tags: string[], outputs: CellOutputs, notebookLimitBinds: boolean, kernel: Kernel): Pick<CellFailure, 'kind' | 'message'> | undefined {
	const expectsError = tags.includes('raises-exception');
	switch (outcome.status) {
		case 'ok':
			return expectsError ? {kind: 'missing-error', message: 'the cell is tagged raises-exception but ran without an error'} : undefined;
		case 'error':
			return expectsError ? undefined : {kind: 'error', message: outputs.errorReport.trim() || 'the kernel reported an error'};
		case 'abort':
			// Only after a failed cell sent with stop_on_error, which the run never goes on after.
			return {kind: 'error', message: 'the kernel aborted the cell, as it does after a failed one that stops on error'};
		case 'timeout':
			return notebookLimitBinds
				? {kind: 'notebook-timeout', message: `the notebook's time limit ran out: ${outcome.detail}`}
				: {kind: 'timeout', message: `the cell's time limit ran out: ${outcome.detail}`};
		case 'dead':
			return {kind: 'kernel-died', message: `${outcome.detail}${kernel.log.trim() ? `; its last words:\n${kernel.log.trim().slice(-2000)}` : ''}`};
	}
}

function kernelName(notebook: Notebook, file: string): string {
	const name = notebook.metadata.kernelspec?.name;
	if (typeof name !== 'string') throw new Error(`${file} names no kernel (metadata.kernelspec.name); this project's notebooks use "tslab"`);
	return name;
}

/** With `--param`s, a cell after the one tagged `parameters` that declares the new values. */
function withInjectedParameters(notebook: Notebook, params: readonly string[]): Notebook {
	if (params.length === 0) return notebook;
	const index = notebook.cells.findIndex((cell) => isCodeCell(cell) && cellTags(cell).includes('parameters'));
	if (index < 0) throw new ParameterError('--param needs a code cell tagged "parameters", and this notebook has none');
	const injected: ICodeCell = {
		cell_type: 'code',
		id: 'injected-parameters',
		metadata: {tags: ['injected-parameters']},
		source: injectedParametersSource(declaredParameters(cellSource(notebook.cells[index]!)), [...params]),
		outputs: [],
		execution_count: null,
	};
	return {...notebook, cells: [...notebook.cells.slice(0, index + 1), injected, ...notebook.cells.slice(index + 1)]};
}
