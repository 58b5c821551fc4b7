import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// A static build: node-server serves playground/dist as is (relative asset paths let it mount the
// page under any path). The simulation runs in a module worker bundled next to the page.
//
// Live mode asks its own origin for /api/cluster. Under `npm run dev` that origin is Vite's, so
// /api goes on to the supervisor of `npm start` (LIVE_SUPERVISOR, default http://127.0.0.1:8080);
// start it with RAFT_CORS_ORIGINS=http://localhost:5173 so the nodes accept this page.
const supervisor = process.env.LIVE_SUPERVISOR ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: './',
  plugins: [react()],
  // The components are written against React's API and rendered by Preact's compatibility layer
  // (preact/compat) in every build: the same code, and the page's JavaScript goes from 100 KB to
  // 43 KB gzipped (React's DOM renderer alone was 60 KB of the 200 KB budget). The Playwright
  // specs run on this build.
  resolve: {
    alias: [
      { find: /^react-dom\/client$/, replacement: 'preact/compat/client' },
      { find: /^react-dom$/, replacement: 'preact/compat' },
      { find: /^react\/jsx-runtime$/, replacement: 'preact/jsx-runtime' },
      { find: /^react\/jsx-dev-runtime$/, replacement: 'preact/jsx-dev-runtime' },
      { find: /^react$/, replacement: 'preact/compat' },
    ],
  },
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
  server: { port: 5173, proxy: { '/api': { target: supervisor, changeOrigin: true } } },
  // Not for `vite preview` (the Playwright simulator specs' server): there live mode finds no cluster.
  preview: { port: 4173, strictPort: true, proxy: {} },
});
