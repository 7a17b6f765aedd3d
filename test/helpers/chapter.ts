/** The figures the chapter printed, as test data: the header block, the sizes of both runs' reads. */

export const CHAPTER_REQUEST = 'GET http://data.pr4e.org/cover3.jpg HTTP/1.0\r\n\r\n';
export const BODY_LENGTH = 70057;

export function chapterHeader(date: string): string {
	return [
		'HTTP/1.1 200 OK',
		`Date: ${date}`,
		'Server: Apache',
		'Last-Modified: Sat, 02 Nov 2013 02:01:26 GMT',
		'ETag: "19c141-111a9-4ea280f8354b8"',
		'Accept-Ranges: bytes',
		`Content-Length: ${BODY_LENGTH}`,
		'Connection: close',
		'Content-Type: image/jpeg',
	].join('\r\n');
}

export const RUN_1_HEADER = chapterHeader('Sat, 02 Nov 2013 02:15:07 GMT');
export const RUN_2_HEADER = chapterHeader('Sat, 02 Nov 2013 02:22:04 GMT');

/** Run 1 (no sleep): 2920, then 1460 x 42, then 2920, 1460, 1681. */
export const RUN_1_SIZES: readonly number[] = [2920, ...Array<number>(42).fill(1460), 2920, 1460, 1681];
/** Run 2 (0.25 s sleep after each recv): 1460, then 5120 x 13, then 2281. */
export const RUN_2_SIZES: readonly number[] = [1460, ...Array<number>(13).fill(5120), 2281];

/** Run 1's network read by a reader that sleeps 250 ms (the book did not print this): 2920, 5120 x 13, 821. */
export const SLEEPING_RUN_1_SIZES: readonly number[] = [2920, ...Array<number>(13).fill(5120), 821];

/** A stand-in body: deterministic bytes of every value, so that a lost or reordered byte shows. */
export function patternBytes(length: number, seed = 0): Buffer {
	const bytes = Buffer.allocUnsafe(length);
	for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed + (i >> 8)) & 0xff;
	return bytes;
}

/** The whole response of a run: header block, blank line, body. */
export function chapterResponse(header: string, body: Uint8Array = patternBytes(BODY_LENGTH)): Buffer {
	return Buffer.concat([Buffer.from(`${header}\r\n\r\n`, 'latin1'), body]);
}

/** Running totals, as the chapter prints them beside each size. */
export function runningCounts(sizes: readonly number[]): number[] {
	let count = 0;
	return sizes.map((size) => (count += size));
}
