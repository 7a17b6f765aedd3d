/**
 * The Jupyter project's own kernel conformance suite (jupyter_kernel_test, Debian's
 * python3-jupyter-kernel-test) against the project's tslab kernelspec: kernel_info, stdout and stderr,
 * execute_result, error, display_data, clear_output, history, completion, inspection and is_complete.
 * The samples are in test/kernel/conformance.py. With REQUIRE_JUPYTER=1 (CI) a missing suite fails;
 * otherwise this test is skipped.
 */
import {spawnSync} from 'node:child_process';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, onTestFinished, test} from 'vitest';
import {installKernelSpec} from '../../scripts/notebook-runner/kernelspec.mjs';
import {projectJupyterEnv} from '../../scripts/support/jupyter-env.mjs';
import {PROJECT_JUPYTER_PATH, PROJECT_ROOT} from '../../scripts/support/project-paths.mjs';

const PYTHON = '/usr/bin/python3';
const SUITE = fileURLToPath(new URL('conformance.py', import.meta.url));
const HAVE_SUITE = spawnSync(PYTHON, ['-c', 'import jupyter_kernel_test'], {encoding: 'utf8'}).status === 0;
const REQUIRED = process.env['REQUIRE_JUPYTER'] === '1';
if (!HAVE_SUITE && !REQUIRED) {
	console.warn('Skipping the kernel conformance suite: apt-get install python3-jupyter-kernel-test');
}

describe("Jupyter's kernel conformance suite", () => {
	test.runIf(REQUIRED && !HAVE_SUITE)('is installed (REQUIRE_JUPYTER=1)', () => {
		expect.fail('REQUIRE_JUPYTER=1 but jupyter_kernel_test is not installed: apt-get install python3-jupyter-kernel-test');
	});

	test.skipIf(!HAVE_SUITE)(
		'passes every test for the project kernel',
		async () => {
			await installKernelSpec(PROJECT_JUPYTER_PATH);
			const scratch = await mkdtemp(path.join(tmpdir(), 'lesson-conformance-'));
			onTestFinished(() => rm(scratch, {recursive: true, force: true}));
			// In notebooks/, as Jupyter starts the kernel for the lesson, so that `import "tslab"` resolves.
			const result = spawnSync(PYTHON, [SUITE, '-v'], {
				cwd: path.join(PROJECT_ROOT, 'notebooks'),
				encoding: 'utf8',
				env: {...projectJupyterEnv(scratch), PYDEVD_DISABLE_FILE_VALIDATION: '1'},
				timeout: 240_000,
			});
			const report = result.stderr;
			expect(result.status, report).toBe(0);
			// Every test the suite has ran and passed; only the pager (IPython's `?`, which tslab has no use for) is skipped.
			for (const name of ['kernel_info', 'execute_stdout', 'execute_stderr', 'execute_result', 'error', 'display_data', 'clear_output', 'history', 'completion', 'inspect', 'is_complete']) {
				expect(report).toMatch(new RegExp(`test_${name} \\(.*\\) \\.\\.\\. ok`));
			}
			expect(report).toMatch(/Ran 12 tests/);
		},
		300_000,
	);
});
