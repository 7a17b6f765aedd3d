/**
 * Section 1: retrieve() and a plain Socket.recv loop against curl, fetch and Python's own recv loop, all
 * downloading the same bytes from the same loopback nginx.
 */
import {mkdtemp, rm} from 'node:fs/promises';
import * as path from 'node:path';
import {curlOnce, type Download, fetchOnce, PYTHON, pythonRecvLoopOnce, recvLoopOnce, recvLoopPiecesOnce, retrieveOnce, type Source} from './clients.mjs';
import {startNginx} from './nginx.mjs';
import {alternate, fixed, median} from './stats.mjs';

/** Which optional peers are installed; the others are skipped with a note. */
export interface Peers {
	readonly curl: boolean;
	readonly python: boolean;
}

type Client = 'python' | 'recvLoop' | 'recvLoopPieces' | 'curlShm' | 'large' | 'fetch' | 'curlNull' | 'small';

/** One client's figures at one size: median time, highest peak RSS (NaN where the client reports none). */
interface Figures {
	readonly ms: number;
	readonly peakMiB: number;
}

interface SizeResult {
	readonly mib: number;
	readonly clients: Partial<Record<Client, Figures>>;
}

interface Column {
	readonly header: string;
	readonly cell: (size: SizeResult) => string;
	/** The clients the column shows: it is left out when one of them was skipped. */
	readonly needs: readonly Client[];
}

const PREAMBLE = [
	'each client runs in a fresh process, timed from before connecting to holding every byte (its process start is not counted)',
	'what each keeps: retrieve a Buffer; our recv loop a Buffer (its pieces joined once), or the pieces as they came; Python a bytearray;',
	'  fetch an ArrayBuffer;',
	'  curl >/dev/shm the body, in fresh memory pages of a tmpfs file (deleted after each run); curl >/dev/null nothing.',
	"  Joining touches the body's memory twice (pieces, then the join), where Python's bytearray grows in place.",
];

export async function retrieveVersusPeers(options: {runs: number; sizesMiB: number[]; peers: Peers}): Promise<string[]> {
	const lines = [
		`retrieve() and a Socket.recv loop vs curl, fetch and Python from a loopback nginx (1 worker), median of ${options.runs} alternating runs after a warm-up`,
		...[...PREAMBLE, ...skippedNotes(options.peers)].map((line) => `  ${line}`),
	];
	const files = Object.fromEntries(options.sizesMiB.map((mib) => [`${mib}.bin`, Buffer.alloc(mib * 1024 * 1024, 'lesson kit ')]));
	const nginx = await startNginx(files);
	// tmpfs, so that curl keeping the body costs what keeping it in memory costs, not what a disk costs.
	const scratch = options.peers.curl ? await mkdtemp('/dev/shm/lesson-bench-') : undefined;
	try {
		const results: SizeResult[] = [];
		for (const mib of options.sizesMiB) {
			const source = {port: nginx.port, file: `${mib}.bin`};
			results.push({mib, clients: await measure(options.runs, mib * 1024 * 1024, clientsFor(source, options.peers, scratch))});
		}
		return [...lines, ...TABLES.flatMap((table) => ['', ...renderTable(table.title, table.columns, results)])];
	} finally {
		await nginx.stop();
		if (scratch) await rm(scratch, {recursive: true, force: true});
	}
}

function skippedNotes(peers: Peers): string[] {
	return [
		...(peers.curl ? [] : ['curl not found on PATH: skipping the curl peers (apt-get install curl)']),
		...(peers.python ? [] : [`${PYTHON} not found: skipping Python's recv loop (apt-get install python3)`]),
	];
}

function clientsFor(source: Source, peers: Peers, scratch: string | undefined): Partial<Record<Client, () => Promise<Download>>> {
	// Each pair under comparison runs back to back in a round, so that both meet the machine in the same state.
	return {
		...(peers.python ? {python: () => pythonRecvLoopOnce(source, 5120)} : {}),
		recvLoop: () => recvLoopOnce(source, 5120),
		recvLoopPieces: () => recvLoopPiecesOnce(source, 5120),
		...(scratch === undefined ? {} : {curlShm: () => curlToFileOnce(source, scratch)}),
		large: () => retrieveOnce(source, 65536),
		fetch: () => fetchOnce(source),
		...(peers.curl ? {curlNull: () => curlOnce(source, '/dev/null')} : {}),
		small: () => retrieveOnce(source, 5120),
	};
}

/** curl into a new file in `folder`, deleted after the run so that every run writes fresh pages. */
async function curlToFileOnce(source: Source, folder: string): Promise<Download> {
	const output = path.join(folder, 'out.bin');
	try {
		return await curlOnce(source, output);
	} finally {
		await rm(output, {force: true});
	}
}

/** Runs the clients alternately (see `alternate`), checking that each got the whole body every time. */
async function measure(runs: number, bodyBytes: number, clients: Partial<Record<Client, () => Promise<Download>>>): Promise<Partial<Record<Client, Figures>>> {
	const peaks: Partial<Record<Client, number[]>> = {};
	const timed = Object.fromEntries(
		Object.entries(clients).map(([name, download]) => [
			name,
			async () => {
				const run = await download!();
				if (run.bytes < bodyBytes) throw new Error(`${name} got ${run.bytes} bytes of a ${bodyBytes}-byte body`);
				const clientPeaks = peaks[name as Client] ?? [];
				clientPeaks.push(run.peakMiB);
				peaks[name as Client] = clientPeaks;
				return run.ms;
			},
		]),
	) as Record<Client, () => Promise<number>>;
	// Only the clients present are keys, and only they come back.
	const samples = await alternate(runs, timed);
	return Object.fromEntries(Object.entries<number[]>(samples).map(([name, times]) => [name, {ms: median(times), peakMiB: Math.max(...peaks[name as Client]!)}]));
}

const ms =
	(client: Client) =>
	(size: SizeResult): string =>
		`${fixed(size.clients[client]!.ms)} ms`;
const peak =
	(client: Client) =>
	(size: SizeResult): string =>
		`${fixed(size.clients[client]!.peakMiB)} MiB`;
const ratio =
	(numerator: Client, denominator: Client) =>
	(size: SizeResult): number =>
		size.clients[numerator]!.ms / size.clients[denominator]!.ms;

/** The ratio with whether it meets its target: `goal` or better, else the looser `limit`, else missed. */
const target =
	(of: (size: SizeResult) => number, better: 'lower' | 'higher', goal: number, limit = goal) =>
	(size: SizeResult): string => {
		const value = of(size);
		const reaches = (bound: number): boolean => (better === 'lower' ? value <= bound : value >= bound);
		return `${fixed(value, 2)}x ${reaches(goal) ? 'met' : reaches(limit) ? `within ${limit}x` : 'missed'}`;
	};

const plainRatio =
	(of: (size: SizeResult) => number) =>
	(size: SizeResult): string =>
		`${fixed(of(size), 2)}x`;

const SIZE: Column = {header: 'size', cell: (size) => `${size.mib} MiB`, needs: []};

const TABLES: ReadonlyArray<{title: string; columns: Column[]}> = [
	{
		title: "1a. Socket.recv(5120) loop vs Python's socket.recv(5120) loop; target ours/Python at most 1.0x, no worse than 1.3x",
		columns: [
			SIZE,
			{header: 'ours, joined once', cell: ms('recvLoop'), needs: ['recvLoop']},
			{header: 'Python', cell: ms('python'), needs: ['python']},
			{header: 'ours/Python', cell: target(ratio('recvLoop', 'python'), 'lower', 1.0, 1.3), needs: ['recvLoop', 'python']},
			{header: 'ours, pieces kept', cell: ms('recvLoopPieces'), needs: ['recvLoopPieces']},
			{header: 'that/Python', cell: target(ratio('recvLoopPieces', 'python'), 'lower', 1.0, 1.3), needs: ['recvLoopPieces', 'python']},
		],
	},
	{
		title: '1b. retrieve() at recvSize 65536 vs curl >/dev/shm (target at most 1.2x) and fetch (target fetch/retrieve at least 3x)',
		columns: [
			SIZE,
			{header: 'retrieve', cell: ms('large'), needs: ['large']},
			{header: 'curl >/dev/shm', cell: ms('curlShm'), needs: ['curlShm']},
			{header: 'ratio', cell: target(ratio('large', 'curlShm'), 'lower', 1.2), needs: ['large', 'curlShm']},
			{header: 'fetch', cell: ms('fetch'), needs: ['fetch']},
			{header: 'fetch/retrieve', cell: target(ratio('fetch', 'large'), 'higher', 3), needs: ['large', 'fetch']},
			{header: 'curl >/dev/null', cell: ms('curlNull'), needs: ['curlNull']},
			{header: 'ratio (reference)', cell: plainRatio(ratio('large', 'curlNull')), needs: ['large', 'curlNull']},
		],
	},
	{
		title: '1c. retrieve() at recvSize 5120, and time per MiB (flat or falling: no quadratic term)',
		columns: [
			SIZE,
			{header: 'retrieve 5120', cell: ms('small'), needs: ['small']},
			{header: 'vs curl >/dev/null', cell: plainRatio(ratio('small', 'curlNull')), needs: ['small', 'curlNull']},
			{header: 'ms/MiB at 65536', cell: (size) => fixed(size.clients.large!.ms / size.mib, 2), needs: ['large']},
			{header: 'ms/MiB at 5120', cell: (size) => fixed(size.clients.small!.ms / size.mib, 2), needs: ['small']},
		],
	},
	{
		title: '1d. peak RSS of each client process (curl reports none)',
		columns: [
			SIZE,
			{header: 'retrieve 65536', cell: peak('large'), needs: ['large']},
			{header: 'retrieve 5120', cell: peak('small'), needs: ['small']},
			{header: 'recv loop', cell: peak('recvLoop'), needs: ['recvLoop']},
			{header: 'Python', cell: peak('python'), needs: ['python']},
			{header: 'fetch', cell: peak('fetch'), needs: ['fetch']},
		],
	},
];

/** A titled table with a column for each figure every size has, the size left-aligned and the rest right-aligned. */
function renderTable(title: string, columns: readonly Column[], results: readonly SizeResult[]): string[] {
	const shown = columns.filter((column) => results.every((size) => column.needs.every((client) => size.clients[client] !== undefined)));
	const rows = [shown.map((column) => column.header), ...results.map((size) => shown.map((column) => column.cell(size)))];
	const widths = shown.map((_, index) => Math.max(...rows.map((row) => row[index]!.length)));
	const line = (row: string[]): string => row.map((cell, index) => (index === 0 ? cell.padEnd(widths[index]!) : cell.padStart(widths[index]!))).join('  ');
	return [`  ${title}`, ...rows.map((row) => `    ${line(row)}`)];
}
