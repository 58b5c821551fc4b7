import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// A static build: node-server serves playground/dist as is (relative asset paths let it mount the
// page under any path). The simulation runs in a module worker bundled next to the page.
export default defineConfig({
  base: './',
  plugins: [react()],
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
  server: { port: 5173 },
  preview: { port: 4173, strictPort: true },
});
