import {existsSync} from 'node:fs';
import {mkdir, mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {type BrowserContext, chromium, type Page} from 'playwright-core';
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {CHROMIUM, runAllAndWait, waitForKernel} from '../../scripts/classroom/learner-session.mjs';
import {lessonNotebookNames, PROJECT_ROOT} from '../../scripts/support/project-paths.mjs';
import {JUPYTER_NOTEBOOK, type JupyterServer, startJupyterNotebook} from './jupyter-server.mjs';

// What a learner sees: each lesson notebook opened in the classic Jupyter Notebook in Chromium, all cells
// run, and the page checked. Skipped with a message when Chromium or Jupyter Notebook is missing, unless
// REQUIRE_BROWSER=1 (CI), which turns that into a failure.
const missing = [CHROMIUM, JUPYTER_NOTEBOOK].filter((program) => !existsSync(program));
const REQUIRED = process.env['REQUIRE_BROWSER'] === '1';
const SCREENSHOTS = path.join(PROJECT_ROOT, 'test-results', 'browser');
if (missing.length > 0 && !REQUIRED) {
	console.warn(`Skipping the browser tests: ${missing.join(' and ')} missing (apt-get install chromium jupyter-notebook).`);
}

test.runIf(REQUIRED && missing.length > 0)('Chromium and Jupyter Notebook are installed (REQUIRE_BROWSER=1)', () => {
	expect.fail(`REQUIRE_BROWSER=1 but ${missing.join(' and ')} missing: apt-get install chromium jupyter-notebook`);
});

describe.skipIf(missing.length > 0)('the lesson in Jupyter Notebook, in Chromium', () => {
	let server: JupyterServer;
	let browser: BrowserContext;
	let profile: string;

	beforeAll(async () => {
		server = await startJupyterNotebook();
		profile = await mkdtemp(path.join(tmpdir(), 'lesson-chromium-'));
		browser = await chromium.launchPersistentContext(profile, {
			executablePath: CHROMIUM,
			headless: true,
			viewport: {width: 1200, height: 900},
			// As root in a sandbox, with no network beyond loopback: no sandbox, no background connections.
			args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
		});
		await mkdir(SCREENSHOTS, {recursive: true});
	}, 120_000);

	afterAll(async () => {
		await browser?.close();
		await server?.stop();
		if (profile) await rm(profile, {recursive: true, force: true});
	});

	/** Opens a notebook, runs every cell, waits for the kernel to finish, and returns the page. */
	async function runInBrowser(name: string): Promise<Page> {
		const page = await browser.newPage();
		await page.goto(`${server.url}/notebooks/${name}?token=${server.token}`);
		await waitForKernel(page);
		// Never let the notebook save itself: the tracked files must stay as committed.
		await page.evaluate(() => (window as never as {Jupyter: {notebook: {set_autosave_interval(ms: number): void}}}).Jupyter.notebook.set_autosave_interval(0));
		await runAllAndWait(page);
		// The classic UI scrolls inside #site; let the page grow so that a full-page screenshot shows everything.
		await page.addStyleTag({content: 'html, body, #site {height: auto !important; overflow: visible !important;}'});
		await page.screenshot({path: path.join(SCREENSHOTS, `${path.basename(name, '.ipynb')}.png`), fullPage: true});
		return page;
	}

	/** No stderr or error output, except in the cells that show a mistake on purpose (tagged raises-exception). */
	async function expectNoErrorOutput(page: Page): Promise<void> {
		const unexpected = await page.evaluate(() => {
			type Cell = {cell_type: string; metadata: {tags?: string[]}; output_area?: {outputs: Array<{output_type: string; name?: string}>}};
			const {notebook} = (window as never as {Jupyter: {notebook: {get_cells(): Cell[]}}}).Jupyter;
			return notebook
				.get_cells()
				.filter((cell) => cell.cell_type === 'code' && !cell.metadata.tags?.includes('raises-exception'))
				.flatMap((cell) => cell.output_area?.outputs ?? [])
				.filter((output) => output.output_type === 'error' || output.name === 'stderr');
		});
		expect(unexpected).toEqual([]);
	}

	/** The cells that show a mistake on purpose, as the learner sees them: Jupyter's red error box, traceback and all. */
	async function shownMistakes(page: Page): Promise<string[]> {
		return page.locator('.cell.code_cell .output_error').allInnerTexts();
	}

	/** `count` charts drawn: SVGs of a readable width with many marks (the wire's segments and recvs, the flow lines). */
	async function expectCharts(page: Page, count: number): Promise<void> {
		const charts = page.locator('.output_svg svg');
		expect(await charts.count()).toBe(count);
		for (const chart of await charts.all()) {
			const box = await chart.boundingBox();
			expect(box?.width).toBeGreaterThan(300);
			expect(await chart.locator('path, rect, line').count()).toBeGreaterThan(20);
		}
	}

	test.each(lessonNotebookNames())(
		'%s runs with no error output',
		async (name) => {
			const page = await runInBrowser(name);
			await expectNoErrorOutput(page);
			// Notebooks 1 and 2 end with a mistake shown on purpose: an error output that names the cell's line.
			const mistakes = await shownMistakes(page);
			if (name.startsWith('01') || name.startsWith('02')) {
				expect(mistakes).toHaveLength(1);
				expect(mistakes[0]).toMatch(/CompileError[\s\S]*Cell In\[\d+\], line \d+, column \d+/);
			} else expect(mistakes).toEqual([]);
			const text = await page.locator('#notebook-container').innerText();
			if (name.startsWith('01')) expect(text).toContain('But soft what light through yonder window breaks');
			if (name.startsWith('02')) {
				for (const line of ['2920 2920', '1460 4380', '1681 70301', 'Header length 240', 'Content-Type: image/jpeg']) expect(text).toContain(line);
				const picture = page.locator('.output_jpeg img, .output_subarea img').first();
				const size = await picture.evaluate((image: HTMLImageElement) => [image.complete, image.naturalWidth, image.naturalHeight]);
				expect(size).toEqual([true, 640, 480]);
				await expectCharts(page, 1);
			}
			if (name === '04-exercises.ipynb') expect(text).toContain('Exercise 5: FAIL');
			if (name === '04-exercises-solutions.ipynb') for (const exercise of [1, 2, 3, 4, 5]) expect(text).toContain(`Exercise ${exercise}: PASS`);
			if (name.startsWith('03')) {
				for (const line of ['1460 1460', '5120 6580', '2281 70301', 'Header length 240', 'Waiting in the receive buffer']) expect(text).toContain(line);
				await expectCharts(page, 2);
			}
			await page.close();
		},
		240_000,
	);
});
