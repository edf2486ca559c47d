import type { z } from 'zod';
import type { ComponentDefinition, CreateContext, DepsSpec, ResolvedDeps } from '../plugin/define.ts';
import type { ComponentKind, ComponentKinds } from '../plugin/kinds.ts';
import { construct } from '../runner/assemble.ts';
import { makeTestCreateContext } from './context.ts';

/**
 * Builds a component straight from its definition in a test: parses `params` with its schema and
 * passes `deps`, through the runner's own `construct` step (runner/assemble.ts).
 */
export async function createComponent<K extends ComponentKind, S extends z.ZodObject, D extends DepsSpec>(
  def: ComponentDefinition<K, S, D>,
  params: z.input<S> | Record<string, unknown> = {},
  deps: Partial<ResolvedDeps<D>> = {},
  ctx: CreateContext = makeTestCreateContext(),
): Promise<ComponentKinds[K]> {
  return construct<K>(def as never, params, deps, ctx);
}
