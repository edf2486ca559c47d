import { defineComponent } from '@embrec/core';
import { Item2VecModel } from './model.ts';
import { item2vecSchema } from './schema.ts';

/** Item2Vec: skip-gram with negative sampling over user histories, trained natively. */
export const item2vecComponent = defineComponent({
  kind: 'model',
  type: 'item2vec',
  description:
    'Item2Vec: skip-gram with negative sampling over user histories (native, Hogwild threads); users pool their items',
  schema: item2vecSchema,
  create: (p) => new Item2VecModel(p),
});
