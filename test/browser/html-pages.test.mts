/**
 * npm run html's pages opened from file:// in headless Chromium, as someone reading the lesson offline would:
 * no console errors, the picture decoded, the charts drawn, the code highlighted, the links between the
 * notebooks working. Screenshots land in test-results/html/ for a person to look at.
 */
import {existsSync} from 'node:fs';
import {mkdir, mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {pathToFileURL} from 'node:url';
import {type BrowserContext, chromium, type Page} from 'playwright-core';
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {PROJECT_ROOT} from '../../scripts/support/project-paths.mjs';
import {runScript} from '../helpers/run-script.js';
import {CHROMIUM} from '../../scripts/classroom/learner-session.mjs';

const REQUIRED = process.env['REQUIRE_BROWSER'] === '1';
const SCREENSHOTS = path.join(PROJECT_ROOT, 'test-results', 'html');
if (!existsSync(CHROMIUM) && !REQUIRED) console.warn('Skipping the HTML page tests: chromium is missing (apt-get install chromium).');

test.runIf(REQUIRED && !existsSync(CHROMIUM))('Chromium is installed (REQUIRE_BROWSER=1)', () => {
	expect.fail('REQUIRE_BROWSER=1 but /usr/bin/chromium is missing: apt-get install chromium');
});

describe.skipIf(!existsSync(CHROMIUM))('the lesson as web pages, from file://', () => {
	let site: string;
	let profile: string;
	let browser: BrowserContext;

	beforeAll(async () => {
		site = await mkdtemp(path.join(tmpdir(), 'lesson-site-'));
		profile = await mkdtemp(path.join(tmpdir(), 'lesson-chromium-'));
		browser = await chromium.launchPersistentContext(profile, {
			executablePath: CHROMIUM,
			headless: true,
			viewport: {width: 1100, height: 900},
			// Offline: nothing may come from the network, so any attempt shows as a failed request.
			offline: true,
			args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
		});
		await mkdir(SCREENSHOTS, {recursive: true});
	});

	afterAll(async () => {
		await browser?.close();
		for (const folder of [site, profile]) if (folder) await rm(folder, {recursive: true, force: true});
	});

	/** The page's charts, one per title given, in order: each a readable width with many marks. */
	async function expectCharts(page: Page, titles: readonly string[]): Promise<void> {
		const charts = page.locator('.output.chart svg');
		expect(await charts.count()).toBe(titles.length);
		for (const [index, chart] of (await charts.all()).entries()) {
			expect(await chart.innerHTML()).toContain(titles[index]);
			expect((await chart.boundingBox())?.width).toBeGreaterThan(300);
			expect(await chart.locator('path, rect, line').count()).toBeGreaterThan(20);
		}
	}

	test('npm run html writes a page per notebook and an index, and each page shows what the notebook shows', async () => {
		const written = await runScript('html.mts', ['--out', site]);
		expect(written.code, written.stderr).toBe(0);
		const pages = ['01-retrieve-text', '02-retrieve-image', '03-flow-control', '04-exercises', '04-exercises-solutions'];
		for (const name of ['index', ...pages]) {
			const page = await browser.newPage();
			const problems: string[] = [];
			page.on('console', (message) => {
				if (message.type() === 'error') problems.push(message.text());
			});
			page.on('pageerror', (error) => problems.push(error.message));
			page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
			await page.goto(pathToFileURL(path.join(site, `${name}.html`)).href);
			await page.waitForLoadState('load');
			expect(problems, name).toEqual([]);
			if (name === 'index') {
				expect(await page.locator('main li a').count()).toBe(pages.length);
			} else {
				// Code highlighted as TypeScript, by highlight.js.
				expect(await page.locator('pre.source code.language-typescript .hljs-keyword').count(), name).toBeGreaterThan(3);
				// Every page links back to the index, and on to the next notebook where there is one.
				expect(await page.locator('nav a[href="index.html"]').count()).toBe(2);
			}
			if (name === '01-retrieve-text') {
				expect(await page.locator('pre.stream.stdout').allInnerTexts()).toContainEqual(expect.stringContaining('But soft what light through yonder window breaks'));
				expect(await page.locator('pre.error').innerText()).toContain("Property 'length' does not exist on type 'Promise<Buffer>'");
				// The prose's link to the next notebook leads to its page.
				await page.locator('main a[href="02-retrieve-image.html"]').first().click();
				expect(page.url()).toMatch(/02-retrieve-image\.html$/);
				await page.goBack();
			}
			if (name === '02-retrieve-image') {
				const picture = page.locator('.output.picture img').first();
				expect(await picture.evaluate((image: HTMLImageElement) => [image.complete, image.naturalWidth, image.naturalHeight])).toEqual([true, 640, 480]);
				expect(await page.locator('pre.stream.stdout').allInnerTexts()).toContainEqual(expect.stringContaining('1681 70301'));
			}
			// Notebook 2 draws the wire; notebook 3 the wire for both readers, and the flow-control chart.
			if (name === '02-retrieve-image') await expectCharts(page, ['On the wire']);
			if (name === '03-flow-control') await expectCharts(page, ['On the wire', 'Flow control']);
			if (name === '04-exercises-solutions') expect(await page.locator('main').innerText()).toContain('Exercise 5: PASS');
			await page.screenshot({path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true});
			await page.close();
		}
	});
});
