import type {Reporter, TestModule} from 'vitest/node';

/** Ends the run with the plain line `Tests: N passed, N failed, N skipped` that any CI can read. */
export default class SummaryReporter implements Reporter {
	onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
		const counts = {passed: 0, failed: 0, skipped: 0, pending: 0};
		for (const testModule of testModules) {
			for (const test of testModule.children.allTests()) counts[test.result().state] += 1;
		}
		process.stdout.write(`\nTests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
	}
}
