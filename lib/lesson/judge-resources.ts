/**
 * The files the grader's judge serves: the chapter's, each made different for every call, so that a
 * submission cannot know the bytes before it has read them from the server (a PASS cannot be printed or
 * returned from memory). Each stays what the exercise expects: text stays text longer than 3000 characters
 * where it was, the picture stays a valid JPEG.
 */
import {randomBytes, randomInt} from 'node:crypto';
import {resourceTable, type Resource} from '../replica/resources';

/** `resource` with bytes no one could have known: a line of random text first, or a JPEG comment segment. */
export function unpredictable(resource: Resource): Resource {
	const noise = randomBytes(randomInt(16, 512));
	if (resource.contentType === 'image/jpeg') {
		// A COM segment (FF FE, then its length counting the two length bytes) right after SOI (FF D8).
		const segment = Buffer.concat([Buffer.from([0xff, 0xfe, (noise.length + 2) >> 8, (noise.length + 2) & 0xff]), noise]);
		return {...resource, body: Buffer.concat([resource.body.subarray(0, 2), segment, resource.body.subarray(2)])};
	}
	return {...resource, body: Buffer.concat([Buffer.from(`checked ${noise.toString('hex')}\n`, 'latin1'), resource.body])};
}

/** A table serving only `path`, made unpredictable; undefined if the replica has no such file. */
export function unpredictableTable(path: string): ReadonlyMap<string, Resource> | undefined {
	const resource = resourceTable().get(path);
	return resource ? new Map([[path, unpredictable(resource)]]) : undefined;
}
