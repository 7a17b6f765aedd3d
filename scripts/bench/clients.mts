/**
 * The HTTP clients that section 1 compares, each downloading one file once from a loopback server in a
 * process of its own (so that its peak RSS is its own and nothing warms up across runs), and each timing
 * only the download itself, from before connecting to holding every byte, not its process start.
 */
import {PROJECT_ROOT} from '../support/project-paths.mjs';
import {jsonCommand} from './stats.mjs';

/** What one download reports: its time, the bytes it kept and the client's peak RSS (NaN where unknown). */
export interface Download {
	readonly ms: number;
	readonly bytes: number;
	readonly peakMiB: number;
}

/** Where a download comes from: nginx on loopback, `file` at its root. */
export interface Source {
	readonly port: number;
	readonly file: string;
}

export const PYTHON = '/usr/bin/python3';

/**
 * A Node program around `download`: the body of an async function that may use `lib` (the compiled
 * library), `port`, `file` and `recvSize`, and returns what the client keeps (a Buffer or an ArrayBuffer).
 * It may set `cleanup` to work that must happen but is not part of the download, like closing the socket.
 */
const nodeProgram = (download: string): string => `
const lib = require(process.argv[1]);
const [port, file, recvSize] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4])];
let cleanup = async () => {};
(async () => {
	const started = performance.now();
	const kept = await (async () => {${download}})();
	const ms = performance.now() - started;
	await cleanup();
	// VmHWM, not resourceUsage().maxRSS: Linux carries the parent's high-water mark into a child's maxRSS.
	const peakKiB = Number(/VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]);
	console.log(JSON.stringify({ms, bytes: kept.byteLength, peakMiB: peakKiB / 1024}));
})();
`;

const REQUEST = `'GET /' + file + ' HTTP/1.0\\r\\n\\r\\n'`;

const RETRIEVE = nodeProgram(`
	return (await lib.retrieve({host: '127.0.0.1', port, request: ${REQUEST}, recvSize})).data;`);

/**
 * The loop a reader of the chapter writes with our Socket. `join`: into one Buffer at the end, as Python
 * ends with one bytearray; else the pieces are kept as they came (their total is what it reports).
 */
const recvLoop = (join: boolean): string =>
	nodeProgram(`
	const socket = await lib.Socket.connect('127.0.0.1', port);
	cleanup = () => socket.close();
	await socket.sendall(${REQUEST});
	const pieces = [];
	for (;;) {
		const data = await socket.recv(recvSize);
		if (data.length < 1) break;
		pieces.push(data);
	}
	${join ? 'return Buffer.concat(pieces);' : 'globalThis.kept = pieces;\n\treturn {byteLength: pieces.reduce((sum, piece) => sum + piece.length, 0)};'}`);

// What a Node user would write without this library. recvSize does not apply.
const FETCH = nodeProgram(`
	return (await fetch('http://127.0.0.1:' + port + '/' + file)).arrayBuffer();`);

// The chapter's loop in Python itself, except that bytearray += grows in place instead of copying everything
// so far on every recv (the chapter's bytes + bytes), so that this is Python at its best.
const PYTHON_RECV_LOOP = `
import json, re, socket, sys, time
port, file, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
started = time.perf_counter()
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(('127.0.0.1', port))
s.sendall(('GET /' + file + ' HTTP/1.0\\r\\n\\r\\n').encode())
buf = bytearray()
while True:
    d = s.recv(size)
    if len(d) < 1:
        break
    buf += d
ms = (time.perf_counter() - started) * 1000
s.close()
with open('/proc/self/status') as status:
    peak_kib = int(re.search(r'VmHWM:\\s+(\\d+)', status.read()).group(1))
print(json.dumps({'ms': ms, 'bytes': len(buf), 'peakMiB': peak_kib / 1024}))
`;

const nodeClient = (program: string) => (source: Source, recvSize: number) => jsonCommand<Download>(process.execPath, ['-e', program, PROJECT_ROOT, String(source.port), source.file, String(recvSize)]);

/** `retrieve()` of the whole response (headers included) at `recvSize`. */
export const retrieveOnce = nodeClient(RETRIEVE);

/** A `Socket.recv(recvSize)` loop over the whole response, joined into one Buffer. */
export const recvLoopOnce = nodeClient(recvLoop(true));

/** The same loop, keeping the pieces as they came instead of joining them. */
export const recvLoopPiecesOnce = nodeClient(recvLoop(false));

const fetchClient = nodeClient(FETCH);

/** `fetch(url).then((response) => response.arrayBuffer())`: the body only. */
export const fetchOnce = (source: Source): Promise<Download> => fetchClient(source, 0);

/** Python's socket.recv(recvSize) loop into a bytearray, in /usr/bin/python3. */
export const pythonRecvLoopOnce = (source: Source, recvSize: number): Promise<Download> => jsonCommand<Download>(PYTHON, ['-c', PYTHON_RECV_LOOP, String(source.port), source.file, String(recvSize)]);

/** curl writing the body to `output` (a file, or /dev/null to keep nothing); its own timer, not its process start. */
export async function curlOnce(source: Source, output: string): Promise<Download> {
	const url = `http://127.0.0.1:${source.port}/${source.file}`;
	const format = '{"seconds": %{time_total}, "bytes": %{size_download}}';
	const {seconds, bytes} = await jsonCommand<{seconds: number; bytes: number}>('curl', ['-s', '--fail', '-o', output, '-w', format, url]);
	return {ms: seconds * 1000, bytes, peakMiB: Number.NaN};
}
