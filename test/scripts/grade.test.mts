/**
 * npm run grade on submissions made here from the project's own notebooks: right, wrong, untouched, and
 * hostile ones (a hang, a crash, a flood of output, an attempt to delete files). Each must get its grade
 * without hurting the others, and the run must say which could not run to their end.
 */
import {existsSync} from 'node:fs';
import {mkdir, mkdtemp, readFile, readdir, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {lessonNotebookPath, PROJECT_ROOT} from '../../scripts/support/project-paths.mjs';
import {type GradeRun, gradeRows, runGrade} from '../helpers/grading.mjs';

const AS_ROOT = process.getuid?.() === 0;

interface Cell {
	cell_type: string;
	metadata: {tags?: string[]};
	source: string | string[];
}

let folder: string;
let canary: string;
let run: GradeRun;
let rows: Map<string, string[]>;

/** The exercises notebook (or its solutions) with the code of `exercise-N` cells replaced. */
async function submission(base: '04-exercises.ipynb' | '04-exercises-solutions.ipynb', code: Record<number, string> = {}): Promise<string> {
	const notebook = JSON.parse(await readFile(lessonNotebookPath(base), 'utf8')) as {cells: Cell[]};
	for (const cell of notebook.cells) {
		const exercise = cell.metadata.tags?.find((tag) => tag.startsWith('exercise-'));
		const replacement = exercise === undefined ? undefined : code[Number(exercise.slice('exercise-'.length))];
		if (replacement !== undefined) cell.source = replacement;
	}
	return JSON.stringify(notebook);
}

beforeAll(async () => {
	folder = await mkdtemp(path.join(tmpdir(), 'lesson-grade-'));
	canary = path.join(folder, 'canary');
	await mkdir(canary);
	await writeFile(path.join(canary, 'keep.txt'), "the teacher's file\n");
	const submissions = path.join(folder, 'class');
	await mkdir(path.join(submissions, 'bob'), {recursive: true});
	const solutions = await readFile(lessonNotebookPath('04-exercises-solutions.ipynb'), 'utf8');
	const threeWrong = JSON.parse(solutions) as {cells: Cell[]};
	for (const cell of threeWrong.cells) {
		if (cell.metadata.tags?.includes('exercise-3')) cell.source = [cell.source].flat().join('').replace('blankLine + 4', 'blankLine + 2');
	}
	const files: Record<string, string> = {
		'alice.ipynb': solutions,
		// In a folder of its own, as a class's submissions often are: the student is "bob/04-exercises".
		'bob/04-exercises.ipynb': JSON.stringify(threeWrong),
		'carol.ipynb': await submission('04-exercises.ipynb'),
		'hangs.ipynb': await submission('04-exercises-solutions.ipynb', {1: 'while (true) {}'}),
		'crashes.ipynb': await submission('04-exercises-solutions.ipynb', {2: 'process.exit(3);'}),
		// Printing in bursts, so its output reaches the grader while it runs (a loop that never yields is stopped by the time limit instead).
		'floods.ipynb': await submission('04-exercises-solutions.ipynb', {
			1: "for (let i = 0; i < 20000; i++) {\n    console.log('x'.repeat(1000));\n    if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));\n}",
		}),
		'deletes.ipynb': await submission('04-exercises-solutions.ipynb', {
			1: `import * as fs from 'fs';\nfor (const victim of [${JSON.stringify(canary)}, '../../s0', '../../../../README.md']) {\n    try { fs.rmSync(victim, {recursive: true}); } catch {}\n}`,
		}),
		'not-json.ipynb': '{ this is not a notebook',
	};
	for (const [name, text] of Object.entries(files)) await writeFile(path.join(submissions, name), text);
	await mkdir(path.join(folder, 'tmp'));
	// Not as root, no sandbox can be made, so the submissions run unprotected, as --no-sandbox asks.
	const flags = [submissions, '--jobs', '3', '--cell-timeout', '8', '--out', path.join(folder, 'out'), ...(AS_ROOT ? [] : ['--no-sandbox'])];
	// Its temporary folders (sandboxes, kernels' sockets) in one of the test's own, to see them all removed.
	run = await runGrade(PROJECT_ROOT, flags, {TMPDIR: path.join(folder, 'tmp')});
	rows = await gradeRows(path.join(folder, 'out', 'grades.csv'));
}, 300_000);

afterAll(async () => {
	await rm(folder, {recursive: true, force: true});
});

const grades = (student: string): string[] => rows.get(student)?.slice(1, 6) ?? [];
const notes = (student: string): string => rows.get(student)?.[7] ?? '';

describe('npm run grade', () => {
	test('exits 1, naming the submissions that could not run to their end', () => {
		expect(run.code, run.stderr).toBe(1);
		expect(run.stdout).toMatch(/could not run to their end: .*crashes/);
		for (const student of ['alice', 'bob/04-exercises', 'carol', 'deletes']) expect(run.stdout).toMatch(new RegExp(`✓ ${student}: `));
	});

	test("grades the solutions 5 of 5, and a wrong answer FAIL with the check's words", () => {
		expect(grades('alice')).toEqual(['PASS', 'PASS', 'PASS', 'PASS', 'PASS']);
		expect(rows.get('alice')?.[6]).toBe('5/5');
		expect(grades('bob/04-exercises')).toEqual(['PASS', 'PASS', 'FAIL', 'PASS', 'PASS']);
		expect(notes('bob/04-exercises')).toContain('ex3:');
		expect(notes('bob/04-exercises')).toContain('skip all 4');
		expect(grades('carol')).toEqual(['FAIL', 'FAIL', 'FAIL', 'FAIL', 'FAIL']);
		expect(notes('carol')).toContain('readUrl is not written yet');
	});

	test('a hang is stopped at the cell limit and the rest is still graded', () => {
		expect(grades('hangs')).toEqual(['FAIL', 'PASS', 'FAIL', 'PASS', 'PASS']);
		expect(notes('hangs')).toMatch(/timeout/);
	});

	test('a crashed kernel fails what it took with it, and says so', () => {
		expect(grades('crashes').slice(0, 1)).toEqual(['PASS']);
		expect(grades('crashes').slice(1)).toEqual(['FAIL', 'FAIL', 'FAIL', 'FAIL']);
		expect(notes('crashes')).toMatch(/kernel-died/);
	});

	test('a flood of output is cut off', () => {
		expect(notes('floods')).toMatch(/output-limit/);
		expect(grades('floods')[0]).toBe('FAIL');
	});

	test.runIf(AS_ROOT)("a submission that deletes files deletes nothing of anyone else's", () => {
		expect(existsSync(path.join(canary, 'keep.txt'))).toBe(true);
		expect(existsSync(path.join(PROJECT_ROOT, 'README.md'))).toBe(true);
		// Its own exercise 1 is gone (the cell held the deletions), the rest of its solutions pass.
		expect(grades('deletes')).toEqual(['FAIL', 'PASS', 'FAIL', 'PASS', 'PASS']);
	});

	test('an unreadable submission gets a row that says so', () => {
		expect(grades('not-json')).toEqual(['FAIL', 'FAIL', 'FAIL', 'FAIL', 'FAIL']);
		expect(notes('not-json')).toContain('could not be read');
	});

	test('writes the Markdown table and every executed notebook, and leaves no sandbox behind', async () => {
		const markdown = await readFile(path.join(folder, 'out', 'grades.md'), 'utf8');
		expect(markdown.split('\n')[0]).toBe('| student | ex1 | ex2 | ex3 | ex4 | ex5 | passed | notes |');
		expect(markdown).toContain('| alice | PASS | PASS | PASS | PASS | PASS | 5/5 |');
		const executed = await readdir(path.join(folder, 'out', 'notebooks'));
		expect(executed).toContain('alice.ipynb');
		expect(executed).toContain('bob%2F04-exercises.ipynb');
		// Sandboxes, the judge's and the kernels' folders: all gone, as are the sandboxes' users' processes.
		expect((await readdir(path.join(folder, 'tmp'))).filter((name) => /^(pr4e-grading|lesson-kernel)-/.test(name))).toEqual([]);
		expect(await readdir(path.join(PROJECT_ROOT, '.grading')).catch(() => [])).toEqual([]);
	});
});
