import {defineConfig} from 'vitest/config';

// npm run test:browser: the lesson in a real browser, kept apart from npm test because it needs Chromium
// and Jupyter Notebook from Debian and takes a minute.
export default defineConfig({
	test: {
		include: ['test/browser/**/*.test.mts'],
		testTimeout: 240_000,
		hookTimeout: 120_000,
		fileParallelism: false,
		reporters: ['default', './test/helpers/summary-reporter.mts'],
	},
});
