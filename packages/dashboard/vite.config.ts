// The dashboard is served by the Gatehouse server under /dashboard/ (the server's admins feature).
// `npm run dev -w @gatehouse/dashboard` proxies the API to a server on :3000.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const target = process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  base: '/dashboard/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: { proxy: { '/v1': target, '/dashboard/api': target } },
});
