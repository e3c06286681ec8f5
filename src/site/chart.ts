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

async function render(spec: TopLevelSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const PALETTE = ['#0b5cad', '#2e7d32', '#b35900', '#6e7781'];

/** Horizontal bars, one per label, coloured by group. */
export async function barChartSvg(bars: readonly Bar[], options: { title: string; xTitle: string }): Promise<string> {
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    width: 420,
    height: { step: 22 },
    data: { values: bars.map((b) => ({ ...b })) },
    mark: { type: 'bar', tooltip: false },
    encoding: {
      y: { field: 'label', type: 'nominal', sort: null, title: null, axis: { labelLimit: 400 } },
      x: { field: 'value', type: 'quantitative', title: options.xTitle, axis: { tickMinStep: 1, format: 'd' } },
      color: {
        field: 'group',
        type: 'nominal',
        title: null,
        scale: { range: PALETTE },
        legend: new Set(bars.map((b) => b.group)).size > 1 ? {} : null,
      },
    },
    config: { font: 'sans-serif', view: { stroke: null } },
  });
}

/** Vertical columns in the order given (a histogram: label = the bin). */
export async function columnChartSvg(
  columns: readonly { label: string; value: number }[],
  options: { title: string; xTitle: string; yTitle: string },
): Promise<string> {
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    width: { step: 36 },
    height: 220,
    data: { values: columns.map((c) => ({ ...c })) },
    mark: { type: 'bar', color: PALETTE[0] },
    encoding: {
      x: { field: 'label', type: 'ordinal', sort: null, title: options.xTitle, axis: { labelAngle: 0 } },
      y: { field: 'value', type: 'quantitative', title: options.yTitle, axis: { tickMinStep: 1, format: 'd' } },
    },
    config: { font: 'sans-serif', view: { stroke: null } },
  });
}
