import { exactComponent } from './exact/component.ts';
import { faissComponent } from './faiss/component.ts';
import { hnswComponent } from './hnsw/component.ts';

/** Every index component of this package (the plugin lists them; the index tools look types up here). */
export const indexComponents = [exactComponent, faissComponent, hnswComponent] as const;
