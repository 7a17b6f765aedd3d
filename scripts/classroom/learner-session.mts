/**
 * A learner in headless Chromium: logs in at the classroom's hub, opens a lesson notebook in the classic
 * Notebook, runs every cell, and reads back what the page shows. The classroom test and benchmark drive
 * learners with it; the browser test uses its waits for the kernel and for "Run All".
 */
import {type Browser, chromium, type Page} from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Headless Chromium as root in a sandbox, with no network beyond loopback. */
export function launchChromium(): Promise<Browser> {
	return chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
}

export interface NotebookRun {
	/** Everything the notebook shows, as text. */
	readonly text: string;
	/** The code cells' outputs, one string per cell (the learner's view of each). */
	readonly cellOutputs: readonly string[];
	/** The first inline picture: [loaded, width, height], or undefined if there is none. */
	readonly picture: readonly [boolean, number, number] | undefined;
	/** From the moment "Run All" was pressed to the last cell done, in ms. */
	readonly runMs: number;
	/** The error outputs, except in cells tagged raises-exception (which show a mistake on purpose). */
	readonly unexpectedErrors: readonly string[];
}

/** A learner's own browser (cookies of their own), logged in at `hubUrl`; their server started. */
export async function logIn(browser: Browser, hubUrl: string, name: string, password: string): Promise<Page> {
	const context = await browser.newContext({viewport: {width: 1200, height: 900}});
	// A whole class logging in at once on a small machine: twenty servers starting together take minutes.
	context.setDefaultTimeout(300_000);
	const page = await context.newPage();
	await page.goto(`${hubUrl}/hub/login`);
	await page.fill('input[name=username]', name);
	await page.fill('input[name=password]', password);
	await Promise.all([page.waitForURL(`**/user/${name}/tree/**`), page.click('input[type=submit], button[type=submit]')]);
	return page;
}

/** Opens `notebook` (a path in the learner's folder) on `page`, runs all its cells, and reads the result. */
export async function runNotebookInPage(page: Page, hubUrl: string, name: string, notebook: string): Promise<NotebookRun> {
	await openNotebook(page, hubUrl, name, notebook);
	return runAllCells(page);
}

/** Opens `notebook` on `page` and waits until its kernel has answered: ready for "Run All". */
export async function openNotebook(page: Page, hubUrl: string, name: string, notebook: string): Promise<void> {
	await page.goto(`${hubUrl}/user/${name}/notebooks/${notebook}`);
	await waitForKernel(page);
}

/** Waits until the classic Notebook open on `page` has heard from its kernel. */
export async function waitForKernel(page: Page): Promise<void> {
	await page.waitForFunction(() => (window as never as {Jupyter?: {notebook?: {kernel?: {info_reply?: unknown}}}}).Jupyter?.notebook?.kernel?.info_reply !== undefined, null, {timeout: 300_000});
}

/** Presses "Run All" and waits until every code cell has run and the kernel is idle; resolves with the time it took, in ms. */
export async function runAllAndWait(page: Page): Promise<number> {
	const started = Date.now();
	await page.evaluate(() => {
		const {notebook} = (window as never as {Jupyter: {notebook: {execute_all_cells(): void}}}).Jupyter;
		notebook.execute_all_cells();
	});
	await page.waitForFunction(
		() => {
			const {notebook} = (window as never as {Jupyter: {notebook: {get_cells(): Array<{cell_type: string; input_prompt_number?: unknown}>}}}).Jupyter;
			const done = notebook.get_cells().every((cell) => cell.cell_type !== 'code' || typeof cell.input_prompt_number === 'number');
			return done && document.querySelector('#kernel_indicator_icon')?.classList.contains('kernel_idle_icon');
		},
		null,
		{timeout: 300_000, polling: 100},
	);
	return Date.now() - started;
}

/** Presses "Run All" on the open notebook, waits until every cell ran and the kernel is idle, and reads the result. */
export async function runAllCells(page: Page): Promise<NotebookRun> {
	const runMs = await runAllAndWait(page);
	const text = await page.locator('#notebook-container').innerText();
	const cellOutputs = await page.locator('.cell.code_cell .output_wrapper').allInnerTexts();
	const pictures = page.locator('.output_jpeg img, .output_subarea img');
	const picture =
		(await pictures.count()) === 0 ? undefined : await pictures.first().evaluate((image: HTMLImageElement): [boolean, number, number] => [image.complete, image.naturalWidth, image.naturalHeight]);
	const unexpectedErrors = await page.evaluate(() => {
		type Cell = {cell_type: string; metadata: {tags?: string[]}; output_area?: {outputs: Array<{output_type: string; name?: string; ename?: string; evalue?: string}>}};
		const {notebook} = (window as never as {Jupyter: {notebook: {get_cells(): Cell[]}}}).Jupyter;
		return notebook
			.get_cells()
			.filter((cell) => cell.cell_type === 'code' && !cell.metadata.tags?.includes('raises-exception'))
			.flatMap((cell) => cell.output_area?.outputs ?? [])
			.filter((output) => output.output_type === 'error' || output.name === 'stderr')
			.map((output) => `${output.ename ?? output.name}: ${output.evalue ?? ''}`);
	});
	return {text, cellOutputs, picture, runMs, unexpectedErrors};
}

/**
 * The loop's reads, from the first output that prints "size count" lines: each line's size, in order.
 * Checks nothing itself; the caller compares with the book's.
 */
export function firstLoopReads(cellOutputs: readonly string[]): number[] {
	for (const output of cellOutputs) {
		const reads = output
			.split('\n')
			.map((line) => /^(\d+) (\d+)$/.exec(line.trim()))
			.filter((match): match is RegExpExecArray => match !== null)
			.map((match) => Number(match[1]));
		if (reads.length > 0) return reads;
	}
	return [];
}
