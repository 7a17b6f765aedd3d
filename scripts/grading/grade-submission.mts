/**
 * Grading one submitted exercises notebook: its code cells (tagged `exercise-N`) are put into a fresh copy
 * of notebooks/04-exercises.ipynb, so that only the project's own check cells judge them, and that copy
 * runs in a sandbox folder of its own, as a user of its own when the grader is root.
 */
import type {ICodeCell, IOutput, IStream} from '@jupyterlab/nbformat';
import {chown, cp, mkdir, readdir, rm, writeFile} from 'node:fs/promises';
import {statSync} from 'node:fs';
import * as path from 'node:path';
import {projectKernelSpec} from '../notebook-runner/kernelspec.mjs';
import {PROJECT_ROOT} from '../support/project-paths.mjs';
import {cellSource, cellTags, isCodeCell, type Notebook, readNotebook} from '../notebook-runner/notebook-file.mjs';
import {joinText} from '../notebook-runner/outputs.mjs';
import {type CellFailure, runNotebook} from '../notebook-runner/run-notebook.mjs';

export const EXERCISES_TEMPLATE = path.join(PROJECT_ROOT, 'notebooks', '04-exercises.ipynb');
export const EXERCISE_NUMBERS = [1, 2, 3, 4, 5] as const;

/** What one exercise of one submission got. */
export interface ExerciseGrade {
	readonly exercise: number;
	readonly verdict: 'PASS' | 'FAIL';
	/** Why, in the check's words: the first ✗ line, or what went wrong around the check. */
	readonly why: string;
}

export interface SubmissionGrade {
	readonly student: string;
	readonly file: string;
	readonly exercises: readonly ExerciseGrade[];
	/** Undefined when the notebook ran to its end; else what stopped it (a hang, a crash, a flood...). */
	readonly problem: string | undefined;
	/** The executed notebook, for the teacher to read. */
	readonly executed: Notebook | undefined;
	readonly durationMs: number;
}

export interface GradeLimits {
	readonly cellTimeoutMs: number;
	readonly notebookTimeoutMs: number;
	readonly maxOutputChars: number;
	/** The most memory the kernel's JavaScript heap may use, in MiB. */
	readonly heapMiB: number;
	/** Run each submission's kernel as a user of its own (needs root, and a project other users may reach). */
	readonly ownUsers: boolean;
}

/**
 * Whether kernels can run as users of their own: the grader is root, and every folder above the project lets
 * other users through (a project in a private home folder does not, and its kernels could not start).
 */
export function canUseOwnUsers(): boolean {
	if (process.getuid?.() !== 0) return false;
	for (let folder = PROJECT_ROOT; ; folder = path.dirname(folder)) {
		if ((statSync(folder).mode & 0o001) === 0) return false;
		if (path.dirname(folder) === folder) return true;
	}
}

/** The first uid handed to graded kernels when the grader runs as root: each submission gets its own. */
const FIRST_SANDBOX_UID = 61_000;

/**
 * Grades `file` in `sandbox` (a fresh folder; removed afterwards). `slot` picks the user id, so that
 * submissions graded at the same time cannot touch each other's files.
 */
export async function gradeSubmission(student: string, file: string, sandbox: string, slot: number, limits: GradeLimits): Promise<SubmissionGrade> {
	const started = Date.now();
	const failed = (problem: string): SubmissionGrade => ({
		student,
		file,
		exercises: EXERCISE_NUMBERS.map((exercise) => ({exercise, verdict: 'FAIL', why: problem})),
		problem,
		executed: undefined,
		durationMs: Date.now() - started,
	});
	let graded: Notebook;
	try {
		graded = withSubmittedCode(await readNotebook(EXERCISES_TEMPLATE), await readNotebook(file));
	} catch (error) {
		return failed(`could not be read: ${(error as Error).message}`);
	}
	try {
		const notebookFile = await prepareSandbox(sandbox, graded);
		const user = limits.ownUsers ? {uid: FIRST_SANDBOX_UID + slot, gid: FIRST_SANDBOX_UID + slot} : undefined;
		if (user) await chownTree(sandbox, user.uid, user.gid);
		const spec = projectKernelSpec('tslab');
		const result = await runNotebook(notebookFile, {
			keepGoing: true,
			cellTimeoutMs: limits.cellTimeoutMs,
			notebookTimeoutMs: limits.notebookTimeoutMs,
			maxOutputChars: limits.maxOutputChars,
			kernelSpec: {...spec, env: {...spec.env, NODE_OPTIONS: `--max-old-space-size=${limits.heapMiB}`}},
			...(user ? {kernelUser: user} : {}),
		});
		const fatal = result.failures.find((failure) => !['error', 'missing-error', 'timeout'].includes(failure.kind));
		const timeouts = result.failures.filter((failure) => failure.kind === 'timeout');
		const problem = fatal ? describeFailure(fatal) : timeouts.length > 0 ? timeouts.map(describeFailure).join('; ') : undefined;
		return {
			student,
			file,
			exercises: EXERCISE_NUMBERS.map((exercise) => gradeExercise(result.notebook, exercise, result.failures)),
			problem,
			executed: result.notebook,
			durationMs: Date.now() - started,
		};
	} catch (error) {
		return failed(`could not be run: ${(error as Error).message}`);
	} finally {
		await rm(sandbox, {recursive: true, force: true});
	}
}

/** The template with each `exercise-N` cell's code taken from the submission (by tag, else by cell id). */
export function withSubmittedCode(template: Notebook, submission: Notebook): Notebook {
	const submitted = submission.cells.filter(isCodeCell);
	const cells = template.cells.map((cell) => {
		if (!isCodeCell(cell)) return cell;
		const tag = cellTags(cell).find((name) => /^exercise-\d+$/.test(name));
		if (!tag) return {...cell, outputs: []};
		const theirs = submitted.find((candidate) => cellTags(candidate).includes(tag)) ?? submitted.find((candidate) => candidate.id === cell.id);
		// No cell of theirs: the template's stub stays, and its check says the function is not written yet.
		return {...cell, source: theirs ? cellSource(theirs) : cellSource(cell), outputs: []};
	});
	return {...template, cells};
}

/** Lays out the sandbox as the project is laid out where the notebook needs it: notebooks/, dist/, lib/replica/data/. */
async function prepareSandbox(sandbox: string, notebook: Notebook): Promise<string> {
	await mkdir(path.join(sandbox, 'notebooks'), {recursive: true, mode: 0o700});
	await cp(path.join(PROJECT_ROOT, 'dist'), path.join(sandbox, 'dist'), {recursive: true});
	await cp(path.join(PROJECT_ROOT, 'lib', 'replica', 'data'), path.join(sandbox, 'lib', 'replica', 'data'), {recursive: true});
	const file = path.join(sandbox, 'notebooks', path.basename(EXERCISES_TEMPLATE));
	await writeFile(file, `${JSON.stringify(notebook, null, 1)}\n`);
	return file;
}

async function chownTree(folder: string, uid: number, gid: number): Promise<void> {
	await chown(folder, uid, gid);
	for (const entry of await readdir(folder, {withFileTypes: true})) {
		const child = path.join(folder, entry.name);
		if (entry.isDirectory()) await chownTree(child, uid, gid);
		else await chown(child, uid, gid);
	}
}

function describeFailure(failure: CellFailure): string {
	const firstLine = failure.message.split('\n')[0] ?? '';
	return `${failure.kind} in code cell ${failure.codeCellNumber}: ${firstLine}`.slice(0, 300);
}

function streamText(outputs: readonly IOutput[]): string {
	return outputs
		.filter((output): output is IStream => output.output_type === 'stream' && output.name === 'stdout')
		.map((output) => joinText(output.text))
		.join('');
}

function errorText(outputs: readonly IOutput[]): string | undefined {
	const error = outputs.find((output) => output.output_type === 'error');
	return error ? `${String(error['ename'])}: ${String(error['evalue'])}` : undefined;
}

/** One exercise's grade, read from its check cell's first line (`Exercise N: PASS` or `FAIL`). */
function gradeExercise(executed: Notebook, exercise: number, failures: readonly CellFailure[]): ExerciseGrade {
	const codeCells = executed.cells.filter(isCodeCell);
	const find = (tag: string): {cell: ICodeCell; number: number} | undefined => {
		const index = codeCells.findIndex((cell) => cellTags(cell).includes(tag));
		return index < 0 ? undefined : {cell: codeCells[index]!, number: index + 1};
	};
	const code = find(`exercise-${exercise}`);
	const check = find(`check-${exercise}`);
	const fail = (why: string): ExerciseGrade => ({exercise, verdict: 'FAIL', why});
	if (!check) return fail('the exercises notebook has no check cell for it');
	const failureOf = (number: number): CellFailure | undefined => failures.find((failure) => failure.codeCellNumber === number);
	const codeProblem = code ? (errorText(code.cell.outputs) ?? (failureOf(code.number) ? describeFailure(failureOf(code.number)!) : undefined)) : undefined;
	if (codeProblem) return fail(`your code cell failed: ${codeProblem}`);
	const line = new RegExp(`^Exercise ${exercise}: (PASS|FAIL)\\b.*$`, 'm').exec(streamText(check.cell.outputs));
	if (!line) {
		const checkFailure = failureOf(check.number);
		if (checkFailure) return fail(describeFailure(checkFailure));
		const error = errorText(check.cell.outputs);
		return fail(error ? `the check failed: ${error}` : 'not run: the notebook stopped before this check');
	}
	if (line[1] === 'PASS') return {exercise, verdict: 'PASS', why: ''};
	const firstMiss = streamText(check.cell.outputs)
		.split('\n')
		.find((text) => text.trimStart().startsWith('✗'));
	return fail(firstMiss?.trim().replace(/^✗ /, '') ?? line[0]);
}
