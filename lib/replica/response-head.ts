import {escapeMarkup} from '../escape-markup';
import type {Resource} from './resources';

const REASONS: Record<number, string> = {
	200: 'OK',
	400: 'Bad Request',
	404: 'Not Found',
	405: 'Method Not Allowed',
	408: 'Request Timeout',
	431: 'Request Header Fields Too Large',
	503: 'Service Unavailable',
};

/**
 * How long a client turned away by a full replica is asked to wait, in seconds: a paced download of
 * cover3.jpg takes 1.4 s to 4 s, so a slot is normally free again by then.
 */
const RETRY_AFTER_SECONDS = 5;

/**
 * The header block Apache sent for a file, field for field in its order (the chapter's 240 bytes for
 * cover3.jpg), ending with the blank line.
 */
export function resourceHead(resource: Resource, date: string): Buffer {
	return head([
		'HTTP/1.1 200 OK',
		`Date: ${date}`,
		'Server: Apache',
		`Last-Modified: ${resource.lastModified}`,
		`ETag: ${resource.etag}`,
		'Accept-Ranges: bytes',
		`Content-Length: ${resource.body.length}`,
		'Connection: close',
		`Content-Type: ${resource.contentType}`,
	]);
}

const responses = new WeakMap<Resource, Map<string, Buffer>>();

/**
 * What the replica sends for `resource` on a link whose Date header is `date`: header and body in one
 * buffer, made once per resource, Date and method (a busy replica copies nothing). The exercises' checks
 * compare a learner's bytes with it.
 */
export function resourceResponse(resource: Resource, date: string, method: 'GET' | 'HEAD' = 'GET'): Buffer {
	let cache = responses.get(resource);
	if (!cache) {
		cache = new Map();
		responses.set(resource, cache);
	}
	const key = `${method} ${date}`;
	let bytes = cache.get(key);
	if (!bytes) {
		const header = resourceHead(resource, date);
		bytes = method === 'HEAD' ? header : Buffer.concat([header, resource.body]);
		cache.set(key, bytes);
	}
	return bytes;
}

/** An error response as Apache words it: a small HTML page saying what went wrong. */
export function errorResponse(status: number, detail: string, date: string): Buffer {
	const reason = REASONS[status] ?? 'Error';
	const body = Buffer.from(
		`<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>${status} ${reason}</title>\n</head><body>\n` + `<h1>${reason}</h1>\n<p>${escapeMarkup(detail)}</p>\n</body></html>\n`,
		'latin1',
	);
	const fields = [
		`HTTP/1.1 ${status} ${reason}`,
		`Date: ${date}`,
		'Server: Apache',
		...(status === 405 ? ['Allow: GET, HEAD'] : []),
		...(status === 503 ? [`Retry-After: ${RETRY_AFTER_SECONDS}`] : []),
		`Content-Length: ${body.length}`,
		'Connection: close',
		'Content-Type: text/html; charset=iso-8859-1',
	];
	return Buffer.concat([head(fields), body]);
}

function head(lines: string[]): Buffer {
	return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}
