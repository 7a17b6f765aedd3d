/** What the replica understood of a request head, or the error status it must answer with. */
export type ParsedRequest =
	| {readonly ok: true; readonly method: 'GET' | 'HEAD'; readonly path: string; readonly requestLine: string}
	| {readonly ok: false; readonly status: 400 | 405; readonly reason: string; readonly requestLine: string};

// RFC 9112 section 3: method SP request-target SP HTTP-version.
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/\d\.\d$/;
// Absolute form (RFC 9112 section 3.2.2), as the chapter sends: http://data.pr4e.org/cover3.jpg.
const ABSOLUTE_FORM = /^http:\/\/[^/?#\s]+(\/[^\s#]*)?$/i;

/**
 * Parses the request line of a head (everything before the blank line). Only the first line matters:
 * the replica answers every path the same whatever the header fields say.
 */
export function parseRequest(head: string): ParsedRequest {
	const requestLine = head.split(/\r?\n/, 1)[0]!;
	const match = REQUEST_LINE.exec(requestLine);
	if (!match) return {ok: false, status: 400, reason: 'malformed request line', requestLine};
	const [, method, target] = match as unknown as [string, string, string];
	if (method !== 'GET' && method !== 'HEAD') return {ok: false, status: 405, reason: `method ${method} not allowed`, requestLine};

	let rawPath: string;
	if (target.startsWith('/')) rawPath = target;
	else {
		const absolute = ABSOLUTE_FORM.exec(target);
		if (!absolute) return {ok: false, status: 400, reason: 'request target is neither /path nor http://host/path', requestLine};
		rawPath = absolute[1] ?? '/';
	}
	const withoutQuery = rawPath.split('?', 1)[0]!;
	try {
		// Decoded only to compare with the resource table: %2e%2e becomes .., which names nothing there.
		return {ok: true, method, path: decodeURIComponent(withoutQuery), requestLine};
	} catch {
		return {ok: false, status: 400, reason: 'bad percent-encoding in the path', requestLine};
	}
}
