import {defineConfig} from 'vitest/config';

// npm run test:browser: the lesson in a real browser, and the classroom (JupyterHub, its deployment files),
// kept apart from npm test because they need Chromium, Jupyter Notebook and JupyterHub from Debian and take
// minutes.
export default defineConfig({
	test: {
		include: ['test/browser/**/*.test.mts', 'test/classroom/**/*.test.mts'],
		testTimeout: 240_000,
		hookTimeout: 120_000,
		fileParallelism: false,
		reporters: ['default', './test/helpers/summary-reporter.mts'],
	},
});
