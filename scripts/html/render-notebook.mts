/**
 * One notebook as a static web page: its Markdown rendered (markdown-it), its code highlighted as TypeScript
 * (highlight.js), and its stored outputs as a learner saw them: text, the picture inline, the charts as SVG,
 * errors with their tracebacks. Everything is in the page, so it reads offline from file://.
 */
import type {IError, IOutput, IStream, MultilineString} from '@jupyterlab/nbformat';
import hljs from 'highlight.js/lib/core';
import typescript from 'highlight.js/lib/languages/typescript';
import MarkdownIt from 'markdown-it';
import {cellSource, isCodeCell, type Notebook} from '../notebook-runner/notebook-file.mjs';
import {joinText} from '../notebook-runner/outputs.mjs';
import {escapeMarkup as escapeHtml} from '../../lib/escape-markup.js';

hljs.registerLanguage('typescript', typescript);

const markdown = new MarkdownIt({
	html: true,
	linkify: false,
	highlight: (code, language) => (language === 'ts' || language === 'typescript' ? hljs.highlight(code, {language: 'typescript'}).value : ''),
});

// Links between the notebooks point at their pages.
const defaultLinkOpen = markdown.renderer.rules.link_open ?? ((tokens, index, options, _env, self) => self.renderToken(tokens, index, options));
markdown.renderer.rules.link_open = (tokens, index, options, env, self) => {
	const href = tokens[index]!.attrGet('href');
	if (typeof href === 'string' && /^[\w.-]+\.ipynb(#.*)?$/.test(href)) tokens[index]!.attrSet('href', href.replace(/\.ipynb/, '.html'));
	return defaultLinkOpen(tokens, index, options, env, self);
};

/** Inline code that names another notebook (`02-retrieve-image.ipynb`) links to its page too. */
function linkNotebookNames(html: string, pages: ReadonlySet<string>): string {
	return html.replace(/<code>([\w.-]+)\.ipynb<\/code>/g, (whole, name: string) => (pages.has(name) ? `<a href="${name}.html"><code>${name}.ipynb</code></a>` : whole));
}

/** Terminal colours in tracebacks mean nothing in a page. */
function withoutAnsi(text: string): string {
	return text.replace(/\u001b\[[0-9;]*m/g, '');
}

function outputHtml(output: IOutput): string {
	switch (output.output_type) {
		case 'stream': {
			const stream = output as IStream;
			return `<pre class="output stream ${stream.name}">${escapeHtml(joinText(stream.text))}</pre>`;
		}
		case 'error': {
			const error = output as IError;
			return `<pre class="output error">${escapeHtml(withoutAnsi(error.traceback.join('\n')))}</pre>`;
		}
		case 'display_data':
		case 'execute_result': {
			const data = (output['data'] ?? {}) as Record<string, MultilineString>;
			const text = (mime: string): string => joinText(data[mime]!);
			// The richest kind the page can show, as Jupyter picks it.
			if (data['image/svg+xml'] !== undefined) return `<div class="output chart">${text('image/svg+xml')}</div>`;
			for (const mime of ['image/png', 'image/jpeg', 'image/gif']) {
				if (data[mime] !== undefined) return `<div class="output picture"><img alt="an image the cell displayed" src="data:${mime};base64,${text(mime).replace(/\s+/g, '')}"></div>`;
			}
			if (data['text/html'] !== undefined) return `<div class="output html">${text('text/html')}</div>`;
			if (data['text/markdown'] !== undefined) return `<div class="output markdown">${markdown.render(text('text/markdown'))}</div>`;
			if (data['text/plain'] !== undefined) {
				const prompt = output.output_type === 'execute_result' ? '<span class="out-prompt">Out:</span> ' : '';
				return `<pre class="output result">${prompt}${escapeHtml(text('text/plain'))}</pre>`;
			}
			return '';
		}
		default:
			return '';
	}
}

export interface PageLinks {
	readonly index: string;
	readonly previous?: {href: string; title: string};
	readonly next?: {href: string; title: string};
	/** Every page's name without .html, for links to other notebooks. */
	readonly pages: ReadonlySet<string>;
}

/** The notebook's title: its first Markdown heading, else the file name. */
export function notebookTitle(notebook: Notebook, fallback: string): string {
	for (const cell of notebook.cells) {
		if (cell.cell_type !== 'markdown') continue;
		const heading = /^#\s+(.+)$/m.exec(cellSource(cell));
		if (heading) return heading[1]!.trim();
	}
	return fallback;
}

export function renderNotebookPage(notebook: Notebook, title: string, links: PageLinks, css: string): string {
	const cells = notebook.cells.map((cell) => {
		if (cell.cell_type === 'markdown') return `<section class="cell markdown">${linkNotebookNames(markdown.render(cellSource(cell)), links.pages)}</section>`;
		if (!isCodeCell(cell)) return '';
		const code = hljs.highlight(cellSource(cell), {language: 'typescript'}).value;
		const outputs = cell.outputs.map(outputHtml).join('\n');
		return `<section class="cell code"><pre class="source"><code class="hljs language-typescript">${code}</code></pre>${outputs ? `\n<div class="outputs">${outputs}</div>` : ''}</section>`;
	});
	const nav = [
		`<a href="${links.index}">All notebooks</a>`,
		links.previous ? `<a rel="prev" href="${links.previous.href}">← ${escapeHtml(links.previous.title)}</a>` : '',
		links.next ? `<a rel="next" href="${links.next.href}">${escapeHtml(links.next.title)} →</a>` : '',
	]
		.filter(Boolean)
		.join(' · ');
	return page(title, `<nav>${nav}</nav>\n<main>\n${cells.join('\n')}\n</main>\n<nav>${nav}</nav>`, css);
}

export function page(title: string, body: string, css: string): string {
	return [
		'<!DOCTYPE html>',
		'<html lang="en">',
		'<head>',
		'<meta charset="utf-8">',
		'<meta name="viewport" content="width=device-width, initial-scale=1">',
		`<title>${escapeHtml(title)}</title>`,
		`<style>\n${css}\n</style>`,
		'</head>',
		'<body>',
		body,
		'</body>',
		'</html>',
		'',
	].join('\n');
}
