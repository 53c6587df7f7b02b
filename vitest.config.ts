import { defineConfig } from 'vitest/config';

/**
 * Shared by every package (`vitest run --config ../../vitest.config.ts`).
 * Workspace packages resolve to their TypeScript sources through the
 * `@baton/source` export condition, so tests never need a build first.
 */
export default defineConfig({
  resolve: { conditions: ['@baton/source'] },
  ssr: { resolve: { conditions: ['@baton/source'] } },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
