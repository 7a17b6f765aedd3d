/** Small measuring helpers for the benchmarks: medians, percentiles, peak memory, timed commands. */
import {readFile} from 'node:fs/promises';
import {performance} from 'node:perf_hooks';
import {$} from 'zx/core';
import {succeeded} from '../support/program-error.mjs';

export function median(values: readonly number[]): number {
	return percentile(values, 50);
}

export function percentile(values: readonly number[], p: number): number {
	const sorted = [...values].sort((a, b) => a - b);
	if (sorted.length === 0) return Number.NaN;
	const rank = (p / 100) * (sorted.length - 1);
	const low = Math.floor(rank);
	const high = Math.ceil(rank);
	return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

/** A process's peak resident memory so far, in MiB (Linux /proc VmHWM). */
export async function peakRssMiB(pid: number): Promise<number> {
	const status = await readFile(`/proc/${pid}/status`, 'utf8');
	return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]) / 1024;
}

/** Runs each named measurement `runs` times, alternating between them, after one warm-up round. */
export async function alternate<Name extends string>(runs: number, measurements: Record<Name, () => Promise<number>>): Promise<Record<Name, number[]>> {
	const names = Object.keys(measurements) as Name[];
	const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<Name, number[]>;
	for (let round = -1; round < runs; round++) {
		for (const name of names) {
			const value = await measurements[name]();
			if (round >= 0) samples[name].push(value);
		}
	}
	return samples;
}

export interface CommandResult {
	readonly code: number | null;
	readonly stdout: string;
	readonly stderr: string;
	readonly wallMs: number;
}

/**
 * Runs a command to its end, timing it from its start to its exit. zx starts it through bash, which then
 * execs it (one command, nothing after it), so the time includes bash's start and zx's own work: /bin/true
 * took 39.5 ms so against 20.9 ms spawned directly (medians of 25 on the shared 2-core machine). That is
 * nothing beside a notebook run, and part of the "node alone" reference.
 */
export async function timeCommand(command: string, args: readonly string[], options: {cwd?: string; env?: NodeJS.ProcessEnv} = {}): Promise<CommandResult> {
	const started = performance.now();
	const output = await $({...options, quiet: true, nothrow: true})`${command} ${args}`;
	return {code: output.exitCode, stdout: output.stdout, stderr: output.stderr, wallMs: performance.now() - started};
}

/** Runs a one-shot child process that prints one JSON value, and returns that value. */
export async function jsonCommand<T>(command: string, args: readonly string[]): Promise<T> {
	return (await succeeded($({quiet: true})`${command} ${args}`)).json<T>();
}

export const fixed = (value: number, digits = 0): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
