// The package's public face: adding an export is a decision, so this list changes on purpose only.
import { expect, it } from 'vitest';
import * as gateway from '../src/index.js';

it('exports exactly the public API', () => {
  expect(Object.keys(gateway).sort()).toEqual([
    'AuditLog',
    'ZtError',
    'loadConfig',
    'openControlPlane',
  ]);
});
