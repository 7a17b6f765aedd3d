import {mkdir, readFile, writeFile} from 'node:fs/promises';
import {createRequire} from 'node:module';
import * as path from 'node:path';
import {type Cli, type CliArgs, isMainModule, type OptionTable, runCli, UsageError} from './support/cli.mjs';
import {notebookTitle, page, renderNotebookPage} from './html/render-notebook.mjs';
import {escapeMarkup as escapeHtml} from '../lib/escape-markup.js';
import {lessonNotebookFiles, PROJECT_ROOT} from './support/project-paths.mjs';
import {readNotebook} from './notebook-runner/notebook-file.mjs';

const HELP = `
usage: npm run html -- [NOTEBOOK...] [--out FOLDER]

Writes the lesson as static web pages: one page per notebook with its stored (executed) outputs (the
picture inline, the charts as SVG, errors with their tracebacks), its code highlighted as TypeScript, links
between the notebooks, and an index.html. Each page holds everything it shows, so the folder reads offline
from file://. With no NOTEBOOK, every notebooks/*.ipynb in name order. Run npm run lesson -- --update first
for fresh outputs (npm run lesson -- --check says whether the stored ones are current).

  --out FOLDER   where the pages go (default: site/, git-ignored)
`;

/** The options, typed for util.parseArgs (strict: anything else is a usage error). */
const OPTIONS = {out: {type: 'string'}} as const satisfies OptionTable;
type Flags = CliArgs<typeof OPTIONS>;

/** The page's own look, after highlight.js's GitHub theme for the code. */
const PAGE_CSS = `
body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem; color: #1f2328; }
nav { margin: 1rem 0; font-size: 0.95rem; }
pre { overflow-x: auto; padding: 0.6rem 0.8rem; border-radius: 6px; font: 13px/1.45 ui-monospace, monospace; }
.cell.code { margin: 1rem 0; }
pre.source { background: #f6f8fa; border: 1px solid #d0d7de; margin: 0; }
.outputs { border-left: 3px solid #d0d7de; margin: 0.3rem 0 0 0.5rem; padding-left: 0.5rem; }
pre.output { margin: 0.3rem 0; background: #fff; white-space: pre-wrap; }
pre.stream.stderr, pre.error { background: #fff0f0; color: #82071e; }
.out-prompt { color: #953800; font-weight: bold; }
.output.picture img { max-width: 100%; height: auto; }
.output.chart svg { max-width: 100%; height: auto; }
code { font-family: ui-monospace, monospace; }
`;

async function main(args: Flags): Promise<number> {
	const here = process.env['INIT_CWD'] ?? process.cwd();
	const out = path.resolve(here, args.out ?? path.join(PROJECT_ROOT, 'site'));
	const files = args._.length > 0 ? args._.map((file) => path.resolve(here, file)) : await lessonNotebookFiles();
	if (files.length === 0) throw new UsageError('no notebooks to render');
	const theme = await readFile(createRequire(import.meta.url).resolve('highlight.js/styles/github.css'), 'utf8');
	const css = `${theme}\n${PAGE_CSS}`;
	const notebooks = await Promise.all(files.map(async (file) => ({file, name: path.basename(file, '.ipynb'), notebook: await readNotebook(file)})));
	const pages = new Set(notebooks.map(({name}) => name));
	const titled = notebooks.map((entry) => ({...entry, title: notebookTitle(entry.notebook, entry.name)}));
	await mkdir(out, {recursive: true});
	for (const [index, entry] of titled.entries()) {
		const previous = titled[index - 1];
		const next = titled[index + 1];
		const html = renderNotebookPage(
			entry.notebook,
			entry.title,
			{
				index: 'index.html',
				pages,
				...(previous ? {previous: {href: `${previous.name}.html`, title: previous.title}} : {}),
				...(next ? {next: {href: `${next.name}.html`, title: next.title}} : {}),
			},
			css,
		);
		await writeFile(path.join(out, `${entry.name}.html`), html);
	}
	const list = titled.map((entry) => `<li><a href="${entry.name}.html">${escapeHtml(entry.title)}</a> <small>(${escapeHtml(entry.name)}.ipynb)</small></li>`).join('\n');
	await writeFile(path.join(out, 'index.html'), page('Retrieving an image over HTTP, in TypeScript', `<main>\n<h1>Retrieving an image over HTTP, in TypeScript</h1>\n<ol>\n${list}\n</ol>\n</main>`, css));
	console.log(`Wrote ${titled.length} page(s) and index.html to ${path.relative(here, out) || '.'}: open ${path.join(out, 'index.html')}`);
	return 0;
}

/** The command, exported for the tests to run in-process (runCommand). */
export const cli: Cli<typeof OPTIONS> = {help: HELP, options: OPTIONS, main};

if (isMainModule(import.meta.url)) runCli(cli);
