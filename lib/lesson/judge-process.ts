/**
 * The judge as a process of its own, as the grader starts it next to a submission's sandbox: it prints one
 * JSON line `{"port": N}` once it listens, then `{"verdict": {...}}` for each exercise judged, and stops
 * when its standard input closes (the grader is done, or gone).
 */
import {startJudge} from './judge';

async function main(): Promise<void> {
	const judge = await startJudge({onVerdict: (verdict) => process.stdout.write(`${JSON.stringify({verdict})}\n`)});
	process.stdout.write(`${JSON.stringify({port: judge.port})}\n`);
	process.stdin.resume();
	process.stdin.once('end', () => void judge.close().finally(() => process.exit(0)));
}

void main().catch((error: unknown) => {
	process.stderr.write(`judge: ${(error as Error).stack ?? String(error)}\n`);
	process.exit(1);
});
