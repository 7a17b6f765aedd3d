import {describe, expect, test} from 'vitest';
import {byteCount, bytesToSend, milliseconds, portNumber, positiveNumber, wholeNumber} from '../lib/options';
import {MAX_TIMER_MS} from '../lib/timer-limit';
import {thrownBy} from './helpers/rejection';

describe("the library's option checks", () => {
	test.each([
		{check: () => byteCount('recvSize', 5120), value: 5120},
		{check: () => byteCount('keep', 0, 0), value: 0},
		{check: () => wholeNumber('maxConnections', 128, {unit: 'connections', minimum: 1}), value: 128},
		{check: () => portNumber('port', 65535), value: 65535},
		{check: () => portNumber('port', 0, 0), value: 0},
		{check: () => milliseconds('delayMs', 0, 'zero'), value: 0},
		{check: () => milliseconds('timeoutMs', 0.5, 'above zero'), value: 0.5},
		{check: () => milliseconds('timeoutMs', MAX_TIMER_MS, 'above zero'), value: MAX_TIMER_MS},
		{check: () => positiveNumber('bandwidthMbps', 0.25, 'megabits per second'), value: 0.25},
		{check: () => bytesToSend('request', 'GET / HTTP/1.0\r\n\r\n'), value: 'GET / HTTP/1.0\r\n\r\n'},
	])('accept and return a value in range: $value', ({check, value}) => {
		expect(check()).toBe(value);
	});

	test.each([
		{check: () => byteCount('recvSize', 0), type: RangeError, message: 'recvSize must be a whole number of bytes from 1 to 9007199254740991, got 0'},
		{check: () => byteCount('recvSize', 5120.5), type: RangeError, message: 'recvSize must be a whole number of bytes from 1 to 9007199254740991, got 5120.5'},
		{check: () => byteCount('recvSize', '5120'), type: TypeError, message: 'recvSize must be a whole number of bytes from 1 to 9007199254740991, got "5120" (a string)'},
		{check: () => byteCount('maxBytes', 2 ** 53), type: RangeError, message: 'maxBytes must be a whole number of bytes from 1 to 9007199254740991, got 9007199254740992'},
		{check: () => portNumber('port', 80.5), type: RangeError, message: 'port must be a whole number from 1 to 65535, got 80.5'},
		{check: () => portNumber('port', 0), type: RangeError, message: 'port must be a whole number from 1 to 65535, got 0'},
		{check: () => portNumber('port', undefined), type: TypeError, message: 'port must be a whole number from 1 to 65535, got undefined'},
		{
			check: () => milliseconds('timeoutMs', 0, 'above zero'),
			type: RangeError,
			message: 'timeoutMs must be a number of milliseconds above 0 to 2147483647 (the longest a timer can wait), got 0',
		},
		{
			check: () => milliseconds('delayMs', 2 ** 31, 'zero'),
			type: RangeError,
			message: 'delayMs must be a number of milliseconds from 0 to 2147483647 (the longest a timer can wait), got 2147483648',
		},
		{
			check: () => milliseconds('delayMs', Number.NaN, 'zero'),
			type: RangeError,
			message: 'delayMs must be a number of milliseconds from 0 to 2147483647 (the longest a timer can wait), got NaN',
		},
		{
			check: () => milliseconds('delayMs', true, 'zero'),
			type: TypeError,
			message: 'delayMs must be a number of milliseconds from 0 to 2147483647 (the longest a timer can wait), got true (a boolean)',
		},
		{check: () => positiveNumber('rate', Number.POSITIVE_INFINITY, 'megabits per second'), type: RangeError, message: 'rate must be a number of megabits per second above 0, got Infinity'},
		{check: () => bytesToSend('request', 42), type: TypeError, message: 'request must be a string or bytes (Uint8Array), got 42 (a number)'},
		{check: () => bytesToSend('request', [71, 69]), type: TypeError, message: 'request must be a string or bytes (Uint8Array), got an object (Array)'},
	])('refuse with a message naming the option, its unit and what was given: $message', ({check, type, message}) => {
		const error = thrownBy(check);
		expect(error).toBeInstanceOf(type);
		expect(error.message).toBe(message);
	});
});
