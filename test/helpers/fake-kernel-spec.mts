/** A kernelspec that starts a fake kernel process (fake-kernel-process.mts) with `cells`, recording what it is sent. */
import {readFile} from 'node:fs/promises';
import {fileURLToPath} from 'node:url';
import type {KernelSpec} from '../../scripts/notebook-runner/kernelspec.mjs';
import type {FakeCell, ReceivedExecute} from './fake-kernel.mjs';

const SCRIPT = fileURLToPath(new URL('./fake-kernel-process.mts', import.meta.url));

/** The spec, and every execute_request its kernels answered (silent ones too), read from `recordFile`. */
export function fakeKernelSpec(cells: Readonly<Record<string, FakeCell>>, recordFile: string, env: Readonly<Record<string, string>> = {}): KernelSpec {
	return {
		name: 'fake',
		// tsx by its resolved URL, as the kernel runs in the notebook's folder; its ESM loader only, which starts sooner.
		argv: [process.execPath, '--import', import.meta.resolve('tsx/esm'), SCRIPT, '{connection_file}'],
		display_name: 'Fake',
		language: 'fake',
		env: {...env, FAKE_KERNEL_CELLS: JSON.stringify(cells), FAKE_KERNEL_RECORD: recordFile},
	};
}

/** The execute_requests a fake kernel recorded in `recordFile`, in order. */
export async function recordedExecutes(recordFile: string): Promise<ReceivedExecute[]> {
	const text = await readFile(recordFile, 'utf8').catch(() => '');
	return text
		.split('\n')
		.filter(Boolean)
		.map((line) => JSON.parse(line) as ReceivedExecute);
}
