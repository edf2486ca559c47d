import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@embrec/core';
import type * as vl from 'vega-lite';
import type { AnalysisResult } from './analyze.ts';
import { analysisFigures } from './figures.ts';
import { renderVegaLite } from './render.ts';
import { analysisHtml, analysisJson, type RenderedFigure } from './report.ts';

/**
 * Writes one analysis into `dir` (a fresh folder the caller renames into place): every figure as
 * SVG and PNG, report.html with the figures embedded, and analysis.json with `about` (trial,
 * experiment, metrics) beside the numbers. The `analysis:` stage and `embrec analyze` both call it.
 */
export async function writeAnalysisReport(
  dir: string,
  result: AnalysisResult,
  title: string,
  about: Record<string, unknown>,
): Promise<void> {
  const rendered: RenderedFigure[] = [];
  for (const f of analysisFigures(result)) {
    const [svgPath] = await renderVegaLite(f.spec as unknown as vl.TopLevelSpec, join(dir, f.name));
    rendered.push({ name: f.name, title: f.title, svg: readFileSync(svgPath!, 'utf8') });
  }
  writeFileAtomic(join(dir, 'report.html'), analysisHtml(result, rendered, title));
  writeFileAtomic(join(dir, 'analysis.json'), analysisJson(result, about));
}
