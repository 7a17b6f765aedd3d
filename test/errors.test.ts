import {describe, expect, test} from 'vitest';
import {
	ConnectError,
	ConnectionLostError,
	EmptyResponseError,
	HeaderTooLargeError,
	HostNotFoundError,
	InterruptedError,
	LessonError,
	type LessonErrorCode,
	ListenError,
	LiveUnavailableError,
	MalformedResponseError,
	RecvAfterEndError,
	ResponseTooLargeError,
	SocketClosedError,
	TimeoutError,
} from '../lib/index';

describe('the library errors', () => {
	const cause = new Error('underlying');
	test.each([
		{error: new ConnectError('h', 1, 'refused', {cause}), name: 'ConnectError', code: 'PR4E_ERR_CONNECT', says: 'h:1'},
		{error: new HostNotFoundError('h', 1, 'ENOTFOUND', {cause}), name: 'HostNotFoundError', code: 'PR4E_ERR_HOST_NOT_FOUND', says: '"h"'},
		{error: new TimeoutError('recv', 'h:1', 50), name: 'TimeoutError', code: 'PR4E_ERR_TIMEOUT', says: 'recv to h:1 timed out after 50 ms'},
		{error: new SocketClosedError('sendall', 'h:1'), name: 'SocketClosedError', code: 'PR4E_ERR_SOCKET_CLOSED', says: 'Cannot sendall'},
		{error: new ConnectionLostError('h:1', 'ECONNRESET', {cause}), name: 'ConnectionLostError', code: 'PR4E_ERR_CONNECTION_LOST', says: 'ECONNRESET'},
		{error: new EmptyResponseError('h:1'), name: 'EmptyResponseError', code: 'PR4E_ERR_EMPTY_RESPONSE', says: 'without sending any bytes'},
		{error: new ResponseTooLargeError('h:1', 10, 11), name: 'ResponseTooLargeError', code: 'PR4E_ERR_RESPONSE_TOO_LARGE', says: 'maxBytes (10)'},
		{error: new HeaderTooLargeError('h:1', 100, 120), name: 'HeaderTooLargeError', code: 'PR4E_ERR_HEADER_TOO_LARGE', says: 'h:1 sent a header block larger than maxHeaderBytes (100 bytes)'},
		{error: new MalformedResponseError('bad', 3), name: 'MalformedResponseError', code: 'PR4E_ERR_MALFORMED_RESPONSE', says: 'bad'},
		{error: new ListenError('h', 1, Object.assign(new Error('in use'), {code: 'EADDRINUSE'})), name: 'ListenError', code: 'PR4E_ERR_LISTEN', says: 'h:1'},
		{error: new LiveUnavailableError('h', 1, cause), name: 'LiveUnavailableError', code: 'PR4E_ERR_LIVE_UNAVAILABLE', says: 'replica'},
		{error: new InterruptedError('recv', 'h:1', 'pending'), name: 'InterruptedError', code: 'PR4E_ERR_INTERRUPTED', says: 'recv on h:1 was interrupted'},
		{error: new RecvAfterEndError('h:1', 1000), name: 'RecvAfterEndError', code: 'PR4E_ERR_RECV_AFTER_END', says: '1000 times'},
	] satisfies Array<{error: LessonError; name: string; code: LessonErrorCode; says: string}>)('$name has code $code, its own name, and a message that says what failed', ({error, name, code, says}) => {
		expect(error).toBeInstanceOf(LessonError);
		expect(error).toBeInstanceOf(Error);
		expect(error.name).toBe(name);
		expect(error.code).toBe(code);
		expect(error.message).toContain(says);
		expect(String(error)).toContain(name);
	});

	test('keep the cause they were given', () => {
		expect(new ConnectError('h', 1, 'refused', {cause}).cause).toBe(cause);
	});

	test("have codes of the project's own, which none of Node's (ERR_...) can be taken for", () => {
		const codes = [new TimeoutError('recv', 'h:1', 1), new SocketClosedError('recv', 'h:1'), new EmptyResponseError('h:1')].map((error) => error.code);
		for (const code of codes) expect(code).toMatch(/^PR4E_ERR_[A-Z_]+$/);
	});

	test('hold the bytes received before the failure from their constructor on, and none when not given', () => {
		const partial = {data: Buffer.from('HTTP/1.0 200 OK\r\n'), bytesReceived: 17};
		const error = new TimeoutError('recv', 'h:1', 50, {partial});
		expect(error.partial).toBe(partial);
		expect(Object.getOwnPropertyDescriptor(error, 'partial')).toMatchObject({value: partial});
		expect(new TimeoutError('recv', 'h:1', 50).partial).toBeUndefined();
	});
});
