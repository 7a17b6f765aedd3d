import {readFileSync} from 'node:fs';
import * as path from 'node:path';

/** A file the replica serves, with the header fields Apache sent for it. */
export interface Resource {
	/** The request path, e.g. `/cover3.jpg`. */
	readonly path: string;
	readonly body: Buffer;
	readonly contentType: string;
	/** An HTTP-date, e.g. `Sat, 02 Nov 2013 02:01:26 GMT`. */
	readonly lastModified: string;
	/** The ETag as sent, quotes included. */
	readonly etag: string;
}

// lib/replica/data/ both from lib/replica/ (tests, tsx) and from dist/replica/ (the compiled package entry).
const DATA_FOLDER = path.resolve(__dirname, '..', '..', 'lib', 'replica', 'data');

/** Reads a file shipped in lib/replica/data/, e.g. `cover3.jpg`. */
export function readDataFile(name: string): Buffer {
	return readFileSync(path.join(DATA_FOLDER, name));
}

/** A deterministic 8 MiB body: big enough that a sleeping reader makes the sender wait (flow control). */
function flowControlBody(): Buffer {
	const body = Buffer.allocUnsafe(8 * 1024 * 1024);
	const line = Buffer.from('flow control: the sender waits while the reader sleeps\n', 'latin1');
	for (let offset = 0; offset < body.length; offset += line.length) line.copy(body, offset);
	return body;
}

/**
 * The exercises' longer text (notebooks/04-exercises.ipynb): romeo.txt's four lines, numbered, 25 times over,
 * 100 lines, 4,575 bytes, so that "show only the first 3000 characters" cuts it.
 */
function exerciseText(): Buffer {
	const romeo = readDataFile('romeo.txt').toString('latin1').trimEnd().split('\n');
	const lines = Array.from({length: 100}, (_, index) => `${String(index + 1).padStart(3, '0')} ${romeo[index % romeo.length]}\n`);
	return Buffer.from(lines.join(''), 'latin1');
}

let table: ReadonlyMap<string, Resource> | undefined;

/**
 * Everything the replica serves, by exact path. Requests are looked up here and nowhere else: a
 * request path never reaches the file system.
 */
export function resourceTable(): ReadonlyMap<string, Resource> {
	table ??= new Map(
		[
			{
				path: '/cover3.jpg',
				body: readDataFile('cover3.jpg'),
				contentType: 'image/jpeg',
				lastModified: 'Sat, 02 Nov 2013 02:01:26 GMT',
				// Apache's ETag is inode-size-mtime in hex; 0x111a9 = 70057, the size.
				etag: '"19c141-111a9-4ea280f8354b8"',
			},
			{
				path: '/romeo.txt',
				body: readDataFile('romeo.txt'),
				contentType: 'text/plain',
				lastModified: 'Mon, 28 Oct 2013 14:46:33 GMT',
				etag: '"a7-4e9cde8c9a040"',
			},
			{
				path: '/flow-control.bin',
				body: flowControlBody(),
				contentType: 'application/octet-stream',
				lastModified: 'Sat, 02 Nov 2013 02:01:26 GMT',
				etag: '"19c142-800000-4ea280f8354b8"',
			},
			{
				path: '/exercise.txt',
				body: exerciseText(),
				contentType: 'text/plain',
				lastModified: 'Mon, 28 Oct 2013 14:46:33 GMT',
				etag: '"a8-11df-4e9cde8c9a040"',
			},
		].map((resource) => [resource.path, resource]),
	);
	return table;
}
