import {availableParallelism} from 'node:os';
import {defineConfig} from 'vitest/config';

export default defineConfig({
	test: {
		include: ['test/**/*.test.ts', 'test/**/*.test.mts'],
		// The browser and classroom tests have their own command (npm run test:browser) and config.
		exclude: ['test/browser/**', 'test/classroom/**', 'node_modules/**'],
		// Real servers and real kernels on a noisy 2-core machine: generous limits, no timed assertions.
		testTimeout: 60_000,
		// One file more than there are cores: much of a file's time is spent waiting (paced sockets, a sleeping
		// reader, kernels starting), and the extra worker fills it. On this 2-core machine: 450 s with one
		// worker, 234 s with three; four made cells miss their time limits.
		maxWorkers: availableParallelism() + 1,
		hookTimeout: 60_000,
		// The plain "N passed, N failed" line lets CI count tests whatever the runner's own summary looks like.
		reporters: ['default', './test/helpers/summary-reporter.mts'],
	},
});
