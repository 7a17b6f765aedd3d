import {describe, expect, test} from 'vitest';
import {
	ConnectError,
	ConnectionLostError,
	EmptyResponseError,
	HeaderTooLargeError,
	HostNotFoundError,
	LessonError,
	MalformedResponseError,
	ResponseTooLargeError,
	SocketClosedError,
	TimeoutError,
} from '../lib/index';

describe('the library errors', () => {
	const cause = new Error('underlying');
	test.each([
		{error: new ConnectError('h', 1, 'refused', {cause}), name: 'ConnectError', code: 'ERR_CONNECT', says: 'h:1'},
		{error: new HostNotFoundError('h', 1, 'ENOTFOUND', {cause}), name: 'HostNotFoundError', code: 'ERR_HOST_NOT_FOUND', says: '"h"'},
		{error: new TimeoutError('recv', 'h:1', 50), name: 'TimeoutError', code: 'ERR_TIMEOUT', says: 'recv to h:1 timed out after 50 ms'},
		{error: new SocketClosedError('sendall', 'h:1'), name: 'SocketClosedError', code: 'ERR_SOCKET_CLOSED', says: 'Cannot sendall'},
		{error: new ConnectionLostError('h:1', 'ECONNRESET', {cause}), name: 'ConnectionLostError', code: 'ERR_CONNECTION_LOST', says: 'ECONNRESET'},
		{error: new EmptyResponseError('h:1'), name: 'EmptyResponseError', code: 'ERR_EMPTY_RESPONSE', says: 'without sending any bytes'},
		{error: new ResponseTooLargeError('h:1', 10, 11), name: 'ResponseTooLargeError', code: 'ERR_RESPONSE_TOO_LARGE', says: 'maxBytes (10)'},
		{error: new HeaderTooLargeError('h:1', 100, 120), name: 'HeaderTooLargeError', code: 'ERR_HEADER_TOO_LARGE', says: 'h:1 sent a header block larger than maxHeaderBytes (100 bytes)'},
		{error: new MalformedResponseError('bad', 3), name: 'MalformedResponseError', code: 'ERR_MALFORMED_RESPONSE', says: 'bad'},
	])('$name has code $code, its own name, and a message that says what failed', ({error, name, code, says}) => {
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
});
