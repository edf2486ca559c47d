import { writeFileSync } from 'node:fs';
import type * as vl from 'vega-lite';

/**
 * Renders a vega-lite spec to `<prefix>.svg` and `<prefix>.png` (resvg, twice the size): the one
 * renderer of the analysis report and the CLI's sweep plots.
 */
export async function renderVegaLite(spec: vl.TopLevelSpec, prefix: string): Promise<string[]> {
  // loaded on first use: vega and vega-lite take most of a second to import (`embrec --help` would wait)
  const [vega, vlc, { Resvg }] = await Promise.all([
    import('vega'),
    import('vega-lite'),
    import('@resvg/resvg-js'),
  ]);
  const view = new vega.View(vega.parse(vlc.compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: 2 } }).render().asPng();
  writeFileSync(`${prefix}.svg`, svg);
  writeFileSync(`${prefix}.png`, png);
  return [`${prefix}.svg`, `${prefix}.png`];
}
