import { defineConfig } from "vitest/config";

// Unit tests for src/lib (`npm test`, run by `make test`); the browser tests live in the Python
// suite (backend/tests/web). Node has no DOM: tests stub localStorage, location and history.
export default defineConfig({
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
