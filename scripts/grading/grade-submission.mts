/**
 * Grading one submitted exercises notebook: its code cells (tagged `exercise-N`) are put into a fresh copy
 * of notebooks/04-exercises.ipynb, and that copy runs in a sandbox (sandbox.mts) beside the grader's judge.
 * The grade is the judge's verdicts, decided from what its own replicas sent and saw: nothing the
 * submission prints, returns or patches in its kernel can make a PASS of its own.
 */
import type {ICodeCell, IOutput} from '@jupyterlab/nbformat';
import {cp, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import * as path from 'node:path';
import {JUDGE_VARIABLE} from '../../lib/lesson/judge-client.js';
import {startJudge} from '../../lib/lesson/judge.js';
import type {KernelLauncher} from '../notebook-runner/kernel.mjs';
import {projectKernelSpec} from '../notebook-runner/kernelspec.mjs';
import {PROJECT_ROOT} from '../support/project-paths.mjs';
import {cellSource, cellTags, isCodeCell, type Notebook} from '../notebook-runner/notebook-file.mjs';
import {type CellFailure, runNotebook} from '../notebook-runner/run-notebook.mjs';
import type {GradingRun, GradingSandbox, JudgeLine, SandboxLimits} from './sandbox.mjs';

export const EXERCISES_TEMPLATE = path.join(PROJECT_ROOT, 'notebooks', '04-exercises.ipynb');
export const EXERCISE_NUMBERS = [1, 2, 3, 4, 5] as const;

/** What one exercise of one submission got. */
export interface ExerciseGrade {
	readonly exercise: number;
	readonly verdict: 'PASS' | 'FAIL';
	/** Why, in the judge's words (its first ✗ line), or what went wrong around the check. */
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
	/** What bounds the sandbox's processes together. */
	readonly sandbox: SandboxLimits;
}

/** Where submissions run: in sandboxes of a grading run, or, unprotected, as the grader in a folder in the project. */
export type Isolation = {readonly kind: 'sandbox'; readonly run: GradingRun} | {readonly kind: 'none'; readonly parent: string};

/** What one verdict of the judge says, checked: the judge is ours, but its line crossed a process boundary. */
interface Verdict {
	readonly exercise: number;
	readonly passed: boolean;
	readonly lines: readonly string[];
}

function asVerdict(value: unknown): Verdict | undefined {
	const candidate = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
	const {exercise, passed, lines} = candidate;
	if (typeof exercise !== 'number' || typeof passed !== 'boolean' || !Array.isArray(lines) || !lines.every((line) => typeof line === 'string')) return undefined;
	return {exercise, passed, lines: lines as string[]};
}

/** The grade of a submission that could not be run: every exercise failed, for `problem`. */
export function failedGrade(student: string, file: string, problem: string, durationMs: number): SubmissionGrade {
	return {student, file, exercises: EXERCISE_NUMBERS.map((exercise) => ({exercise, verdict: 'FAIL', why: problem})), problem, executed: undefined, durationMs};
}

/** Grades `graded` (the template with the submission's code) in a sandbox, or unprotected. */
export async function gradeSubmission(student: string, file: string, graded: Notebook, isolation: Isolation, limits: GradeLimits): Promise<SubmissionGrade> {
	const started = Date.now();
	const verdicts = new Map<number, Verdict>();
	const keep = (line: JudgeLine): void => {
		const verdict = 'verdict' in line ? asVerdict(line.verdict) : undefined;
		if (verdict && !verdicts.has(verdict.exercise)) verdicts.set(verdict.exercise, verdict);
	};
	// Started as tslab starts, not from the startup snapshot: Node loads no snapshot under a V8 flag it was not
	// built with (the heap limit), nor would one built for the project's paths serve a sandbox that moves them.
	const spec = projectKernelSpec('tslab', {fromSnapshot: false});
	const kernelEnv = (judgePort: number): Record<string, string> => ({
		...spec.env,
		NODE_OPTIONS: `--max-old-space-size=${limits.heapMiB}`,
		[JUDGE_VARIABLE]: `127.0.0.1:${judgePort}`,
	});
	const run = async (notebookFile: string, env: Record<string, string>, launcher: KernelLauncher | undefined): Promise<SubmissionGrade> => {
		await writeFile(notebookFile, `${JSON.stringify(graded, null, 1)}\n`);
		const result = await runNotebook(notebookFile, {
			keepGoing: true,
			cellTimeoutMs: limits.cellTimeoutMs,
			notebookTimeoutMs: limits.notebookTimeoutMs,
			maxOutputChars: limits.maxOutputChars,
			kernelSpec: {...spec, env},
			...(launcher ? {kernelLauncher: launcher} : {}),
		});
		const fatal = result.failures.find((failure) => !['error', 'missing-error', 'timeout'].includes(failure.kind));
		const timeouts = result.failures.filter((failure) => failure.kind === 'timeout');
		const problem = fatal ? describeFailure(fatal) : timeouts.length > 0 ? timeouts.map(describeFailure).join('; ') : undefined;
		return {
			student,
			file,
			exercises: EXERCISE_NUMBERS.map((exercise) => gradeExercise(exercise, verdicts.get(exercise), result.notebook, result.failures)),
			problem,
			executed: result.notebook,
			durationMs: Date.now() - started,
		};
	};
	const failed = (problem: string): SubmissionGrade => failedGrade(student, file, problem, Date.now() - started);

	if (isolation.kind === 'none') {
		// Unprotected: the judge in this process, the kernel as the grader's user in a folder inside the project.
		const judge = await startJudge({onVerdict: (verdict) => keep({verdict})});
		const folder = await mkdtemp(path.join(isolation.parent, 'submission-'));
		try {
			await prepareUnprotectedFolder(folder);
			return await run(path.join(folder, 'notebooks', path.basename(EXERCISES_TEMPLATE)), kernelEnv(judge.port), undefined);
		} catch (error) {
			return failed(`could not be run: ${(error as Error).message}`);
		} finally {
			await judge.close();
			await rm(folder, {recursive: true, force: true});
		}
	}

	let sandbox: GradingSandbox | undefined;
	let grade: SubmissionGrade;
	try {
		sandbox = await isolation.run.sandbox(limits.sandbox);
		const judgePort = await sandbox.startJudge(keep);
		grade = await run(path.join(sandbox.folder, 'notebooks', path.basename(EXERCISES_TEMPLATE)), kernelEnv(judgePort), sandbox);
	} catch (error) {
		grade = failed(`could not be run: ${(error as Error).message}`);
	}
	const leftovers = sandbox ? await isolation.run.destroy(sandbox) : [];
	return leftovers.length === 0 ? grade : {...grade, problem: [grade.problem, `the sandbox: ${leftovers.join('; ')}`].filter(Boolean).join('; ')};
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

/**
 * Lays out a folder inside the project as the notebook needs it: notebooks/, package.json (whose `main` is
 * what the notebook's `import ... from '..'` loads), dist/, lib/replica/data/.
 */
async function prepareUnprotectedFolder(folder: string): Promise<void> {
	await mkdir(path.join(folder, 'notebooks'), {recursive: true});
	await cp(path.join(PROJECT_ROOT, 'package.json'), path.join(folder, 'package.json'));
	await cp(path.join(PROJECT_ROOT, 'dist'), path.join(folder, 'dist'), {recursive: true});
	await cp(path.join(PROJECT_ROOT, 'lib', 'replica', 'data'), path.join(folder, 'lib', 'replica', 'data'), {recursive: true});
}

function describeFailure(failure: CellFailure): string {
	const firstLine = failure.message.split('\n')[0] ?? '';
	return `${failure.kind} in code cell ${failure.codeCellNumber}: ${firstLine}`.slice(0, 300);
}

function errorText(outputs: readonly IOutput[]): string | undefined {
	const error = outputs.find((output) => output.output_type === 'error');
	return error ? `${String(error['ename'])}: ${String(error['evalue'])}` : undefined;
}

/**
 * One exercise's grade: the judge's verdict. Without one the exercise failed, and the executed notebook
 * only helps say why (its words are the submission's own, so they never decide anything).
 */
function gradeExercise(exercise: number, verdict: Verdict | undefined, executed: Notebook, failures: readonly CellFailure[]): ExerciseGrade {
	const fail = (why: string): ExerciseGrade => ({exercise, verdict: 'FAIL', why});
	if (verdict?.passed) return {exercise, verdict: 'PASS', why: ''};
	if (verdict) return fail(verdict.lines.find((line) => line.startsWith('✗'))?.replace(/^✗ /, '') ?? 'the judge found it wrong');
	const codeCells = executed.cells.filter(isCodeCell);
	const find = (tag: string): {cell: ICodeCell; number: number} | undefined => {
		const index = codeCells.findIndex((cell) => cellTags(cell).includes(tag));
		return index < 0 ? undefined : {cell: codeCells[index]!, number: index + 1};
	};
	const failureOf = (number: number): CellFailure | undefined => failures.find((failure) => failure.codeCellNumber === number);
	const code = find(`exercise-${exercise}`);
	const codeProblem = code ? (errorText(code.cell.outputs) ?? (failureOf(code.number) ? describeFailure(failureOf(code.number)!) : undefined)) : undefined;
	if (codeProblem) return fail(`your code cell failed: ${codeProblem}`);
	const check = find(`check-${exercise}`);
	const checkFailure = check ? failureOf(check.number) : undefined;
	if (checkFailure) return fail(describeFailure(checkFailure));
	return fail('no verdict: the check did not run to its end, or its report never reached the judge');
}
