/** Running `npm run grade` from a test to its end, and reading the grades.csv it wrote. */
import {existsSync} from 'node:fs';
import {readFile} from 'node:fs/promises';
import * as path from 'node:path';
import {$} from 'zx/core';

export interface GradeRun {
	readonly code: number | null;
	readonly stdout: string;
	readonly stderr: string;
}

/**
 * Runs `project`'s scripts/grade.mts (tsx, as npm runs it) with `args` to its end, in beforeAll, where the
 * run-script helper's per-test cleanup cannot be.
 */
export async function runGrade(project: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<GradeRun> {
	const [tsx, grade] = [path.join(project, 'node_modules', '.bin', 'tsx'), path.join(project, 'scripts', 'grade.mts')];
	const {exitCode, stdout, stderr} = await $({cwd: project, env: {...process.env, ...env}, quiet: true, nothrow: true})`${tsx} ${grade} ${args}`;
	return {code: exitCode, stdout, stderr};
}

/** grades.csv's rows by student (each row's cells, the student first); none if the file is missing. */
export async function gradeRows(csvFile: string): Promise<Map<string, string[]>> {
	const csv = existsSync(csvFile) ? await readFile(csvFile, 'utf8') : '';
	const rows = csv.trim().split('\r\n').slice(1).filter(Boolean);
	return new Map(
		rows.map((line) => {
			const cells = line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((cell) => cell.replace(/,$/, '').replace(/^"|"$/g, '').replaceAll('""', '"'));
			return [cells[0]!, cells];
		}),
	);
}
