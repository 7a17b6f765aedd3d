/**
 * What a Markdown file refers to, as GitHub renders it: its headings' anchors, its links, its inline code
 * and the npm scripts it names. Parsed with markdown-it (CommonMark, as GitHub's renderer is), so that
 * code blocks, links split over lines and code spans in lists are read as a reader sees them.
 */
import MarkdownIt from 'markdown-it';

export interface MarkdownReferences {
	/** Every heading's anchor (`#...` without the `#`), duplicates numbered as GitHub numbers them. */
	readonly anchors: ReadonlySet<string>;
	/** Every link's target, as written (`docs/kernel.md#the-startup-snapshot`, `https://...`). */
	readonly links: readonly string[];
	/** The text of every inline code span, outside code blocks. */
	readonly codeSpans: readonly string[];
	/** Every `npm run NAME` in the file, code blocks included: the NAMEs. */
	readonly npmScripts: readonly string[];
}

const markdown = new MarkdownIt();

/**
 * GitHub's anchor for a heading's text (github-slugger): lower case, everything but letters, marks,
 * numbers, connector punctuation (`_`), hyphens and spaces removed, then each space made a hyphen.
 */
export function githubSlug(headingText: string): string {
	return headingText
		.toLowerCase()
		.replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
		.replace(/ /g, '-');
}

/** The anchors of headings in order: a repeated slug gets `-1`, `-2`, ... as github-slugger numbers it. */
export function anchorsOf(headingTexts: readonly string[]): Set<string> {
	const occurrences = new Map<string, number>();
	const anchors = new Set<string>();
	for (const text of headingTexts) {
		const original = githubSlug(text);
		let anchor = original;
		while (occurrences.has(anchor)) {
			const count = occurrences.get(original)! + 1;
			occurrences.set(original, count);
			anchor = `${original}-${count}`;
		}
		occurrences.set(anchor, 0);
		anchors.add(anchor);
	}
	return anchors;
}

export function markdownReferences(text: string): MarkdownReferences {
	const tokens = markdown.parse(text, {});
	const headingTexts: string[] = [];
	const links: string[] = [];
	const codeSpans: string[] = [];
	for (const [index, token] of tokens.entries()) {
		if (token.type !== 'inline') continue;
		const children = token.children ?? [];
		// The rendered text, as GitHub slugs it: code spans keep their content, markup and link targets go.
		if (tokens[index - 1]?.type === 'heading_open') headingTexts.push(children.map((child) => (child.type === 'text' || child.type === 'code_inline' ? child.content : '')).join(''));
		for (const child of children) {
			if (child.type === 'link_open') links.push(String(child.attrGet('href') ?? ''));
			if (child.type === 'code_inline') codeSpans.push(child.content);
		}
	}
	const npmScripts = [...text.matchAll(/\bnpm run\s+(?:--silent\s+)?([a-z][\w-]*(?::[\w-]+)*)/g)].map((match) => match[1]!);
	return {anchors: anchorsOf(headingTexts), links, codeSpans, npmScripts};
}
