/**
 * The tracker blocks a sweep uses: the experiment's `trackers:` plus, when MLFLOW_TRACKING_URI
 * names an http(s) server and the file lists no MLflow tracker, an automatic `embrec/mlflow` one
 * (validated like a block of the file, so its parameters get their defaults).
 */
import type { Block } from '../config/sections.ts';
import { validateBlock } from '../config/validate.ts';
import type { Registry } from '../plugin/registry.ts';

export function trackerBlocks(registry: Registry, listed: readonly Block[], env: NodeJS.ProcessEnv): Block[] {
  const blocks = [...listed];
  const uri = env.MLFLOW_TRACKING_URI ?? '';
  if (
    /^https?:\/\//.test(uri) &&
    !blocks.some((b) => b.type === 'embrec/mlflow') &&
    registry.lookup('tracker', 'mlflow').ok
  ) {
    const auto = validateBlock(registry, 'tracker', { type: 'embrec/mlflow' }, ['trackers'], []);
    if (auto) blocks.push(auto as Block);
  }
  return blocks;
}
