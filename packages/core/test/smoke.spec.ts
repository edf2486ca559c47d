import { coreVersion } from '@embrec/core';
import { expect, it } from 'vitest';

it('resolves source', () => {
  expect(coreVersion).toBe('0.1.0');
});
