import {readdirSync} from 'node:fs';
import * as path from 'node:path';
import {fileURLToPath} from 'node:url';

export const NOTEBOOKS_FOLDER = fileURLToPath(new URL('../../notebooks', import.meta.url));

/** The lesson notebooks, by file name, in order. */
export function lessonNotebookNames(): string[] {
	try {
		return readdirSync(NOTEBOOKS_FOLDER)
			.filter((name) => name.endsWith('.ipynb'))
			.sort();
	} catch {
		return [];
	}
}

export const lessonNotebookPath = (name: string): string => path.join(NOTEBOOKS_FOLDER, name);
