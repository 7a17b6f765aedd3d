/** The learner's kernel's side of grading: where the judge is, and one request to it. */
import * as http from 'node:http';

/** The variable the grader's sandbox sets in the kernel: the judge's `host:port` on the sandbox's loopback. */
export const JUDGE_VARIABLE = 'PR4E_JUDGE';

/** The judge's address when this kernel is being graded; undefined in a learner's own notebook. */
export function judgeAddress(): string | undefined {
	return process.env[JUDGE_VARIABLE] || undefined;
}

/** How long the judge may take to answer one request (a verdict fetches each call's response again). */
const JUDGE_LIMIT_MS = 60_000;

/** POSTs `body` as JSON to the judge's `endpoint` and resolves with its JSON answer. */
export function askJudge(judge: string, endpoint: 'call' | 'observation' | 'verdict', body: unknown): Promise<unknown> {
	return new Promise((resolve, reject) => {
		const request = http.request(`http://${judge}/${endpoint}`, {method: 'POST', headers: {'content-type': 'application/json'}, timeout: JUDGE_LIMIT_MS}, (response) => {
			const pieces: Buffer[] = [];
			response.on('data', (piece: Buffer) => pieces.push(piece));
			response.on('error', reject);
			response.on('end', () => {
				const text = Buffer.concat(pieces).toString('utf8');
				if (response.statusCode !== 200) reject(new Error(`the judge answered ${response.statusCode}: ${text.slice(0, 200)}`));
				else resolve(JSON.parse(text) as unknown);
			});
		});
		request.on('timeout', () => request.destroy(new Error(`the judge did not answer within ${JUDGE_LIMIT_MS / 1000} s`)));
		request.on('error', reject);
		request.end(JSON.stringify(body));
	});
}
