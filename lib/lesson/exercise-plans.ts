/**
 * What each exercise's check asks of the learner's function: the calls it makes, each on a replica of its
 * own. The same plan is followed in the notebook (a replica in the learner's kernel) and when grading (a
 * replica in the grader's judge, serving files the submission cannot know before it reads them).
 */

export const EXERCISES = [1, 2, 3, 4, 5] as const;
export type ExerciseNumber = (typeof EXERCISES)[number];

/** One call of the learner's function. */
export type PlannedCall =
	/** On a fresh replica pacing its responses by `link`: the URL of `path`, then `extraArgs`. */
	| {readonly kind: 'served'; readonly path: string; readonly link: 'fast' | 'book-run-2'; readonly extraArgs: readonly number[]}
	/** A URL no function can use: it must throw. */
	| {readonly kind: 'unusable'; readonly url: string};

export interface ExercisePlan {
	readonly title: string;
	/** The function's name in the notebook, for the words the learner reads. */
	readonly functionName: string;
	readonly calls: readonly PlannedCall[];
}

const served = (path: string, link: 'fast' | 'book-run-2' = 'fast', extraArgs: readonly number[] = []): PlannedCall => ({kind: 'served', path, link, extraArgs});

/** The delay exercise 5 asks for: the book's `time.sleep(0.25)`. */
export const BOOK_DELAY_MS = 250;

export const EXERCISE_PLANS: Readonly<Record<ExerciseNumber, ExercisePlan>> = {
	1: {
		title: 'read any URL',
		functionName: 'readUrl',
		calls: [served('/romeo.txt'), served('/cover3.jpg'), {kind: 'unusable', url: 'not a url'}, {kind: 'unusable', url: 'http://'}],
	},
	2: {title: 'count everything, show 3000', functionName: 'countAndShow', calls: [served('/exercise.txt'), served('/romeo.txt')]},
	3: {title: 'only what follows the headers', functionName: 'bodyAfterHeaders', calls: [served('/romeo.txt'), served('/cover3.jpg')]},
	4: {title: 'the same with fetch()', functionName: 'fetchAndCount', calls: [served('/exercise.txt'), served('/romeo.txt')]},
	5: {
		title: 'recv sizes with and without the sleep',
		functionName: 'recvSizes',
		calls: [served('/cover3.jpg', 'book-run-2', [BOOK_DELAY_MS]), served('/cover3.jpg', 'book-run-2', [0])],
	},
};
