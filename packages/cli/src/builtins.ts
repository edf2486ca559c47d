import { coreVersion, Registry } from '@embrec/core';
import dataPlugin from '@embrec/data';
import evalPlugin from '@embrec/eval';
import indexesPlugin from '@embrec/indexes';
import lossesPlugin from '@embrec/losses';
import mlflowPlugin from '@embrec/mlflow';
import modelsPlugin from '@embrec/models';

/** A registry holding every built-in plugin (namespace `embrec`). */
export function builtinRegistry(): Registry {
  const r = new Registry(coreVersion);
  for (const p of [dataPlugin, evalPlugin, modelsPlugin, lossesPlugin, indexesPlugin, mlflowPlugin]) r.add(p);
  return r;
}
