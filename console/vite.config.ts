// The console is built into dist/ and served by every API instance at /console (gateway-api/src/console.ts).
// It imports the typed client from its sources, and everything it needs is in the bundle: no CDN, no fonts.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  resolve: {
    alias: { '@model-ledger/client': fileURLToPath(new URL('../client/src/index.ts', import.meta.url)) },
  },
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1024 },
});
