/** The solutions notebook's functions, compiled as the kernel would, for tests that judge them. */
import {readFileSync} from 'node:fs';
import * as path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import ts from 'typescript';
import {Socket} from '../../lib/index.js';

interface Notebook {
	cells: Array<{cell_type: string; metadata: {tags?: string[]}; source: string[] | string}>;
}

const solutions = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'notebooks', '04-exercises-solutions.ipynb'), 'utf8')) as Notebook;

/** The source of the solutions notebook's cell tagged `exercise-N`. */
export function solutionSource(exercise: number): string {
	const cell = solutions.cells.find((candidate) => candidate.metadata.tags?.includes(`exercise-${exercise}`));
	if (!cell) throw new Error(`the solutions notebook has no cell tagged exercise-${exercise}`);
	return [cell.source].flat().join('');
}

/**
 * Compiles cells of TypeScript as the kernel would and returns the function named `name`. `readUrl` from
 * exercise 1 is in scope, as in the notebook, where exercise 3 may use it.
 */
export function compile(name: string, ...sources: string[]): unknown {
	const {outputText} = ts.transpileModule(`${sources.join('\n')}\nreturn ${name};`, {compilerOptions: {target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.None}});
	return new Function('Socket', 'sleep', outputText)(Socket, sleep) as unknown;
}

/** Each exercise's function from the solutions notebook, by exercise number. */
export function solutionFunctions(): Record<1 | 2 | 3 | 4 | 5, unknown> {
	const one = solutionSource(1);
	return {
		1: compile('readUrl', one),
		2: compile('countAndShow', solutionSource(2)),
		3: compile('bodyAfterHeaders', one, solutionSource(3)),
		4: compile('fetchAndCount', solutionSource(4)),
		5: compile('recvSizes', solutionSource(5)),
	};
}
