import {describe, expect, test} from 'vitest';
import {ReadSlabs} from '../../lib/client/read-slabs';

/** Simulates one read of `bytes` bytes into a region of `size`: the OS writes, then the socket commits. */
function read(slabs: ReadSlabs, size: number, bytes: number, fill: number): Buffer {
	const region = slabs.region(size);
	expect(region.length).toBe(size);
	region.fill(fill, 0, bytes);
	return slabs.commit(bytes);
}

describe('ReadSlabs', () => {
	test('hands out consecutive views of one slab, never overwriting bytes handed out before', () => {
		const slabs = new ReadSlabs();
		const first = read(slabs, 5120, 1000, 1);
		const second = read(slabs, 5120, 2000, 2);
		expect(second.buffer).toBe(first.buffer);
		expect(second.byteOffset).toBe(first.byteOffset + 1000);
		expect(first.every((byte) => byte === 1)).toBe(true);
	});

	test('offers regions exactly as long as asked, so one read never takes more than the recv asked for', () => {
		const slabs = new ReadSlabs();
		for (const size of [1, 10, 5120, 65536, 3, 1024 * 1024]) expect(slabs.region(size).length).toBe(size);
	});

	test('starts a new, bigger slab when the free tail is smaller than the region asked for', () => {
		const slabs = new ReadSlabs();
		const first = read(slabs, 65536, 60 * 1024, 1);
		const region = slabs.region(5120);
		expect(region.buffer).not.toBe(first.buffer);
		expect(region.buffer.byteLength).toBeGreaterThanOrEqual(128 * 1024);
		expect(first.every((byte) => byte === 1)).toBe(true);
	});

	test('copies a small result out of a region bigger than a slab, so it does not pin megabytes', () => {
		const slabs = new ReadSlabs();
		const huge = 4 * 1024 * 1024;
		const small = read(slabs, huge, 100, 7);
		expect(small.buffer.byteLength).toBeLessThan(huge);
		expect([...small.subarray(0, 3)]).toEqual([7, 7, 7]);
		const full = read(slabs, huge, huge, 8);
		expect(full.length).toBe(huge);
	});

	test('keeps the last region while it still fits the size asked for, and makes a new one when it does not', () => {
		const slabs = new ReadSlabs();
		const prepared = slabs.region(5120);
		expect(slabs.regionFor(5120)).toBe(prepared);
		expect(slabs.regionFor(512).length).toBe(512);
	});

	test('puts later reads at their stream position in a destination, and a read that might not fit it in a slab', () => {
		const slabs = new ReadSlabs();
		read(slabs, 64, 50, 1);
		read(slabs, 64, 50, 1);
		const destination = Buffer.alloc(300);
		slabs.setDestination(destination);
		const inPlace = slabs.regionFor(150);
		expect(inPlace.buffer).toBe(destination.buffer);
		expect(inPlace.byteOffset).toBe(destination.byteOffset + 100);
		inPlace.fill(2, 0, 150);
		slabs.commit(150);
		expect(slabs.region(50).buffer).toBe(destination.buffer);
		expect(slabs.region(51).buffer).not.toBe(destination.buffer);
		expect([...destination.subarray(95, 105)]).toEqual([0, 0, 0, 0, 0, 2, 2, 2, 2, 2]);
	});
});
