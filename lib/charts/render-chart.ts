/** A Vega-Lite specification, kept loose here so that the package's declarations need no Vega types. */
export type ChartSpec = Record<string, unknown>;

/**
 * Renders a Vega-Lite chart to an SVG string with Vega's headless renderer: SVG shows the same in
 * JupyterLab, the classic Notebook, on GitHub and in nbconvert's HTML, and needs no browser or canvas.
 */
export async function renderChart(spec: ChartSpec): Promise<string> {
	// Vega and Vega-Lite are ES modules; a dynamic import loads them from this CommonJS library.
	const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
	const compiled = vegaLite.compile({$schema: 'https://vega.github.io/schema/vega-lite/v6.json', ...spec} as never).spec;
	const view = new vega.View(vega.parse(compiled), {renderer: 'none'});
	try {
		return await view.toSVG();
	} finally {
		view.finalize();
	}
}
