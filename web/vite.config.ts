/// <reference types="vitest" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The build goes into the Python package, which serves it at `/` (pagerline/web/routes.py).
// Hashed assets live under /assets/ and are cached for a year; index.html is never cached.
// The page runs under `script-src 'self'; style-src 'self'`: no inline script or style may
// reach the build, so the module preload polyfill (an inline script) is off.
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
  },
  server: {
    proxy: { "/graphql": { target: "http://127.0.0.1:8000", ws: true } },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
