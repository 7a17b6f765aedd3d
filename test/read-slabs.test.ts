import {describe, expect, test} from 'vitest';
import {ReadSlabs} from '../lib/read-slabs';

/** Simulates one read of `bytes` bytes: the OS writes into the region, then the socket commits them. */
function read(slabs: ReadSlabs, bytes: number, fill: number): Buffer {
	const region = slabs.region();
	expect(region.length).toBeGreaterThanOrEqual(bytes);
	region.fill(fill, 0, bytes);
	return slabs.commit(bytes);
}

describe('ReadSlabs', () => {
	test('hands out consecutive views of one slab, never overwriting bytes handed out before', () => {
		const slabs = new ReadSlabs();
		const first = read(slabs, 1000, 1);
		const second = read(slabs, 2000, 2);
		expect(second.buffer).toBe(first.buffer);
		expect(second.byteOffset).toBe(first.byteOffset + 1000);
		expect(first.every((byte) => byte === 1)).toBe(true);
	});

	test('starts a new, bigger slab when the free tail is too small to be worth a read', () => {
		const slabs = new ReadSlabs();
		const first = read(slabs, 60 * 1024, 1);
		const region = slabs.region();
		expect(region.buffer).not.toBe(first.buffer);
		expect(region.length).toBe(128 * 1024);
		expect(first.every((byte) => byte === 1)).toBe(true);
	});

	test('never offers an empty region (an empty read buffer makes libuv fail with ENOBUFS), nor more than maxRead', () => {
		const slabs = new ReadSlabs(100 * 1024);
		for (let i = 0; i < 100; i++) {
			const length = slabs.region().length;
			expect(length).toBeGreaterThan(0);
			expect(length).toBeLessThanOrEqual(100 * 1024);
			slabs.commit(length);
		}
	});

	test('puts later reads at their stream position in a destination, then goes back to slabs when it is full', () => {
		const slabs = new ReadSlabs(64);
		read(slabs, 50, 1);
		read(slabs, 50, 1);
		const destination = Buffer.alloc(300);
		slabs.setDestination(destination);
		const inPlace = read(slabs, 150, 2);
		expect(inPlace.buffer).toBe(destination.buffer);
		expect(inPlace.byteOffset).toBe(destination.byteOffset + 100);
		expect(slabs.region().length).toBe(50);
		read(slabs, 50, 3);
		expect(slabs.region().buffer).not.toBe(destination.buffer);
		expect([...destination.subarray(95, 105)]).toEqual([0, 0, 0, 0, 0, 2, 2, 2, 2, 2]);
	});
});
