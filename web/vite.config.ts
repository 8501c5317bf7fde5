/// <reference types="vitest" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The build goes into the Python package, which serves it at `/` (pagerline/web/routes.py).
// Hashed assets live under /assets/ and are cached for a year; index.html is never cached.
// The page runs under `script-src 'self'; style-src 'self'`: no inline script or style may
// reach the build, so the module preload polyfill (an inline script) is off.
// The service worker (src/pwa/sw.ts) is a second entry written to /sw.js: a worker's address must
// stay the same across releases (the browser checks it for updates), so it carries no hash and
// the server sends it uncached. Files in public/ (manifest, icons) are copied as they are.
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "../pagerline/web/app",
    emptyOutDir: true,
    assetsDir: "assets",
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    rollupOptions: {
      input: { index: "index.html", sw: "src/pwa/sw.ts" },
      output: {
        entryFileNames: (chunk) => (chunk.name === "sw" ? "sw.js" : "assets/[name]-[hash].js"),
      },
    },
  },
  server: {
    proxy: { "/graphql": { target: "http://127.0.0.1:8000", ws: true } },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
