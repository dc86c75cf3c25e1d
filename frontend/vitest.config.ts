import { defineConfig } from "vitest/config";

// Unit tests for src/lib (`npm test`, run by `make test`); the browser tests live in the Python
// suite (backend/tests/web). Node has no DOM: tests stub localStorage, location and history.
// Islands are written against React's API and run on Preact's compatibility layer (see
// astro.config.mjs), so the tests resolve React's modules to Preact's as the build does.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^react-dom\/server$/, replacement: "preact/compat/server" },
      { find: /^react-dom$/, replacement: "preact/compat" },
      { find: /^react\/jsx-(dev-)?runtime$/, replacement: "preact/jsx-runtime" },
      { find: /^react$/, replacement: "preact/compat" },
    ],
  },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
