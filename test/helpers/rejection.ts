import type {LessonError} from '../../lib/index';

/** The error `promise` rejects with; fails the test if it resolves instead. */
export async function rejectionOf(promise: Promise<unknown>): Promise<LessonError> {
	try {
		await promise;
	} catch (error) {
		return error as LessonError;
	}
	throw new Error('expected the promise to reject, but it resolved');
}

/** The error `run` throws; fails the test if it returns instead. */
export function thrownBy(run: () => unknown): LessonError {
	try {
		run();
	} catch (error) {
		return error as LessonError;
	}
	throw new Error('expected an error, but none was thrown');
}
