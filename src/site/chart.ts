import type { TopLevelSpec } from 'vega-lite';

/**
 * Bar charts as static SVG, drawn by Vega-Lite on the server (no JavaScript in the page). The libraries are
 * loaded on first use, so a service that never renders a chart never loads them.
 */
export interface Bar {
  label: string;
  value: number;
  /** Groups bars by colour (e.g. "accepted", "overridden"). */
  group: string;
}

export async function barChartSvg(bars: readonly Bar[], options: { title: string; xTitle: string }): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    width: 420,
    height: { step: 22 },
    data: { values: bars.map((b) => ({ ...b })) },
    mark: { type: 'bar', tooltip: false },
    encoding: {
      y: { field: 'label', type: 'nominal', sort: null, title: null, axis: { labelLimit: 260 } },
      x: { field: 'value', type: 'quantitative', title: options.xTitle, axis: { tickMinStep: 1, format: 'd' } },
      color: {
        field: 'group',
        type: 'nominal',
        title: null,
        scale: { range: ['#0b5cad', '#2e7d32', '#b35900', '#6e7781'] },
      },
    },
    config: { font: 'sans-serif', view: { stroke: null } },
  };
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
