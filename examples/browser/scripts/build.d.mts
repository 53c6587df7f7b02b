import type { Metafile } from 'esbuild';
/** Bundle the example into `outdir` (default dist/); resolves to esbuild's metafile. */
export function buildExample(options?: { outdir?: string }): Promise<Metafile>;
