/**
 * The docs point only at what is there: every relative link and `#anchor` in README.md, CONTRIBUTING.md,
 * docs/*.md and patches/README.md resolves (with GitHub's anchors), every `npm run NAME` is a script in
 * package.json, and every repository path written in backticks exists. External links are only checked
 * to be well-formed: tests use no network.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import * as path from 'node:path';
import {describe, expect, test} from 'vitest';
import {anchorsOf, githubSlug, markdownReferences} from '../helpers/markdown-references.mjs';
import {PROJECT_ROOT} from '../helpers/run-script.js';

const DOCS = [
	'README.md',
	'CONTRIBUTING.md',
	...readdirSync(path.join(PROJECT_ROOT, 'docs'))
		.filter((name) => name.endsWith('.md'))
		.map((name) => `docs/${name}`),
	'patches/README.md',
];

const SCRIPTS = Object.keys((JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {scripts: Record<string, string>}).scripts);

/** Folders made by commands and ignored by git: a path in them is a place things go, not a file to find. */
const MADE_FOLDERS = new Set(['dist', 'node_modules', 'test-results', 'site', 'coverage', '.classroom', '.grading', '.jupyter']);

/** Path segments that stand for a name the reader chooses (`notebooks/NAME.ipynb`). */
const PLACEHOLDER = /^(NAME|FOLDER|DIR|FILE)(\.\w+)?$/;

function read(doc: string): string {
	return readFileSync(path.join(PROJECT_ROOT, doc), 'utf8');
}

/** The anchors of a Markdown file in the project, read once. */
const anchorsByFile = new Map<string, ReadonlySet<string>>();
function anchorsIn(file: string): ReadonlySet<string> {
	if (!anchorsByFile.has(file)) anchorsByFile.set(file, markdownReferences(readFileSync(file, 'utf8')).anchors);
	return anchorsByFile.get(file)!;
}

/** What is wrong with a link from `doc`, or undefined if it resolves. */
function brokenLink(doc: string, target: string): string | undefined {
	if (/^[a-z][a-z+.-]*:/i.test(target)) {
		let url: URL;
		try {
			url = new URL(target);
		} catch {
			return `${target} is not a well-formed URL`;
		}
		return ['http:', 'https:', 'mailto:'].includes(url.protocol) && (url.protocol === 'mailto:' || url.hostname.includes('.')) ? undefined : `${target} is not a web address`;
	}
	const [rawPath = '', anchor] = target.split('#', 2);
	const file = rawPath === '' ? path.join(PROJECT_ROOT, doc) : path.resolve(path.dirname(path.join(PROJECT_ROOT, doc)), decodeURIComponent(rawPath));
	if (path.relative(PROJECT_ROOT, file).startsWith('..')) return `${target} leaves the repository`;
	if (!existsSync(file)) return `${target}: no ${path.relative(PROJECT_ROOT, file)}`;
	if (anchor === undefined) return undefined;
	if (!file.endsWith('.md')) return `${target}: an anchor into a file that is not Markdown`;
	return anchorsIn(file).has(anchor) ? undefined : `${target}: ${path.relative(PROJECT_ROOT, file)} has no heading #${anchor}`;
}

/**
 * The repository path a code span names, or undefined when it names none: it has no slash, has spaces
 * (a command), is absolute, a URL, in a folder commands make, a placeholder, or its first folder is not
 * one of the project's (`lesson/notebooks/...` inside a learner's home).
 */
function repositoryPath(span: string): string | undefined {
	const candidate = span.replace(/^\.\//, '');
	if (!candidate.includes('/') || /\s/.test(candidate) || /^[/~]|:\/\/|[<>{}$]/.test(candidate)) return undefined;
	const segments = candidate.split('/').filter((segment) => segment !== '');
	if (MADE_FOLDERS.has(segments[0]!) || segments.some((segment) => PLACEHOLDER.test(segment))) return undefined;
	return existsSync(path.join(PROJECT_ROOT, segments[0]!)) ? candidate : undefined;
}

/**
 * Whether a repository path exists; with wildcards, whether any file matches it: `*` any characters but a
 * slash, `**\/` any folders, as the vitest configs' globs mean them.
 */
function pathExists(repoPath: string): boolean {
	if (!repoPath.includes('*')) return existsSync(path.join(PROJECT_ROOT, repoPath));
	const segments = repoPath.split('/');
	const firstWild = segments.findIndex((segment) => segment.includes('*'));
	const folder = path.join(PROJECT_ROOT, ...segments.slice(0, firstWild));
	const rest = segments.slice(firstWild).join('/');
	const source = rest
		.split('**/')
		.map((part) =>
			part
				.split('*')
				.map((literal) => literal.replace(/[.+?^()|[\]\\]/g, '\\$&'))
				.join('[^/]*'),
		)
		.join('(?:[^/]+/)*');
	const pattern = new RegExp(`^${source}$`);
	return existsSync(folder) && readdirSync(folder, {recursive: true, encoding: 'utf8'}).some((name) => pattern.test(name.split(path.sep).join('/')));
}

describe('GitHub anchors', () => {
	test.each([
		['The replica of data.pr4e.org', 'the-replica-of-datapr4eorg'],
		["Why the recv loop is behind Python's", 'why-the-recv-loop-is-behind-pythons'],
		['How recv behaves', 'how-recv-behaves'],
		['A classroom: the lesson served to many learners by JupyterHub', 'a-classroom-the-lesson-served-to-many-learners-by-jupyterhub'],
		['tslab 1.0.22, patched', 'tslab-1022-patched'],
		['snake_case and kebab-case', 'snake_case-and-kebab-case'],
		['Ünïcode — dash', 'ünïcode--dash'],
	])('%j is #%s', (heading, anchor) => {
		expect(githubSlug(heading)).toBe(anchor);
	});

	test('a repeated heading gets -1, -2 after the first, as on GitHub', () => {
		expect([...anchorsOf(['Notes', 'Notes', 'Notes-1', 'Notes'])]).toEqual(['notes', 'notes-1', 'notes-1-1', 'notes-2']);
	});

	test('headings are read as rendered: code spans keep their text, link targets and code blocks do not count', () => {
		const {anchors, links, codeSpans} = markdownReferences('# How `recv` behaves\n\n    # not a heading `x/y`\n\n## [The kernel](docs/kernel.md)\n\nSee [a\nsplit link](b.md#c) and `lib/\nerrors.ts`.\n');
		expect([...anchors]).toEqual(['how-recv-behaves', 'the-kernel']);
		expect(links).toEqual(['docs/kernel.md', 'b.md#c']);
		expect(codeSpans).toEqual(['recv', 'lib/ errors.ts']);
	});
});

describe('the checks themselves', () => {
	test.each([
		['npm run lesson -- --check', ['lesson']],
		['`npm run kernel:snapshot` and npm run --silent test:browser', ['kernel:snapshot', 'test:browser']],
		['grading/  npm run grade: the sandbox', ['grade']],
		["`npm run classroom`'s hub; npm run\nbench", ['classroom', 'bench']],
		['the `npm run` scripts', []],
	])('find the scripts in %j', (text, scripts) => {
		expect(markdownReferences(text).npmScripts).toEqual(scripts);
	});

	test.each([
		['docs/missing.md', 'no docs/missing.md'],
		['docs/kernel.md#no-such-heading', 'has no heading #no-such-heading'],
		['#nowhere', 'has no heading #nowhere'],
		['../../outside.md', 'leaves the repository'],
		['https://', 'not a well-formed URL'],
		['ftp://example.org/x', 'not a web address'],
	])('find %s broken', (target, complaint) => {
		expect(brokenLink('README.md', target)).toContain(complaint);
	});

	test.each([
		['lib/errors.ts', 'lib/errors.ts'],
		['scripts/notebook-runner/', 'scripts/notebook-runner/'],
		['lib/no-such-file.ts', 'lib/no-such-file.ts'],
		['notebooks/NAME.ipynb', undefined],
		['dist/index.js', undefined],
		['/srv/lesson', undefined],
		['npm run lesson -- --check', undefined],
		['lesson/notebooks/01-retrieve-text.ipynb', undefined],
		['ipc://{ip}-{port}', undefined],
	])('read `%s` as the repository path %s', (span, expected) => {
		expect(repositoryPath(span)).toBe(expected);
	});

	test('a path with a wildcard exists when something matches it', () => {
		expect(pathExists('notebooks/*.ipynb')).toBe(true);
		expect(pathExists('notebooks/*.nothing')).toBe(false);
		expect(pathExists('test/**/*.test.mts')).toBe(true);
		expect(pathExists('test/**/*.nothing')).toBe(false);
		expect(pathExists('lib/no-such-file.ts')).toBe(false);
	});
});

describe.each(DOCS)('%s', (doc) => {
	const references = markdownReferences(read(doc));

	test('every link resolves: files, folders and #anchors in the repository; web addresses well-formed', () => {
		expect(references.links.map((target) => brokenLink(doc, target)).filter((problem) => problem !== undefined)).toEqual([]);
	});

	test('every `npm run NAME` is a script in package.json', () => {
		expect(references.npmScripts.filter((name) => !SCRIPTS.includes(name))).toEqual([]);
	});

	test('every repository path in backticks exists', () => {
		const paths = references.codeSpans.map(repositoryPath).filter((repoPath): repoPath is string => repoPath !== undefined);
		expect(paths.filter((repoPath) => !pathExists(repoPath))).toEqual([]);
	});
});

test('every doc is linked from another, so that a reader starting at README.md can reach it', () => {
	const reached = new Set(
		DOCS.flatMap((doc) =>
			markdownReferences(read(doc))
				.links.filter((target) => !/^[a-z][a-z+.-]*:/i.test(target) && !target.startsWith('#'))
				.map((target) => path.posix.normalize(path.posix.join(path.posix.dirname(doc), target.split('#')[0]!))),
		),
	);
	expect(DOCS.filter((doc) => doc !== 'README.md' && !reached.has(doc))).toEqual([]);
});
