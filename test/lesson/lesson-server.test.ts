import {expect, onTestFinished, test} from 'vitest';
import {lessonServer, Socket, splitResponse} from '../../lib/index';
import {LESSON_HEAD_TIMEOUT_MS} from '../../lib/lesson/lesson-server';
import {CHAPTER_REQUEST} from '../helpers/chapter';
import {useReplica} from '../helpers/replica';
import {waitUntil} from '../../scripts/support/wait-until.js';

// A learner reads between the connect cell and the send cell. Waiting out a real 10 s to show that would
// cost every run 10 s; instead: the lesson's replica is set to wait far longer (here), and a replica answers
// 408 only once its head timeout has passed (test/replica/replica.test.ts, with a 300 ms one).
test("waits ten minutes for the request, past the replica's usual 10 s and real Apache's 20 to 40 s", async () => {
	const server = await lessonServer();
	onTestFinished(() => server.close());
	const usual = await useReplica();
	expect(usual.headTimeoutMs).toBe(10_000);
	expect(server.replica?.headTimeoutMs).toBe(LESSON_HEAD_TIMEOUT_MS);
	expect(LESSON_HEAD_TIMEOUT_MS).toBe(600_000);
});

test('serves the chapter request sent in a later step than the connect, over the same connection', async () => {
	const server = await lessonServer();
	onTestFinished(() => server.close());
	const socket = await Socket.connect(server.host, server.port);
	onTestFinished(() => socket.close());
	// The replica has taken the connection and is waiting for its head: the "connect cell" has ended.
	await waitUntil(() => server.replica?.connections.length === 1, {timeoutMs: 10_000, what: 'the replica to accept the connection'});
	expect(server.replica?.connections[0]?.outcome).toBe('in-progress');
	await socket.sendall(CHAPTER_REQUEST);
	const pieces: Buffer[] = [];
	for (let data = await socket.recv(5120); data.length > 0; data = await socket.recv(5120)) pieces.push(data);
	const response = splitResponse(Buffer.concat(pieces));
	expect(response.status.statusCode).toBe(200);
	expect(response.headerLength).toBe(240);
	expect(response.body.length).toBe(70057);
});
