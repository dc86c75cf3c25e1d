// @ts-check
import preact from "@astrojs/preact";
import { defineConfig } from "astro/config";

// PUBLIC_API_URL: the API's origin when the app is hosted elsewhere; empty = same origin.
const apiOrigin = (process.env.PUBLIC_API_URL ?? "").replace(/\/+$/, "");

export default defineConfig({
  output: "static",
  // Every page is a folder with index.html: /dashboard -> /dashboard/ keeps the query string.
  trailingSlash: "ignore",
  build: { format: "directory", inlineStylesheets: "never" },
  integrations: [preact({ compat: true })],
  devToolbar: { enabled: false },
  // Terser packs React and uPlot ~2 KB (gzipped) tighter than esbuild: the metrics page needs
  // that to stay within the 100 KB budget.
  vite: { build: { minify: "terser", terserOptions: { compress: { passes: 2 } } } },
  experimental: {
    // Hashes of Astro's inline scripts and styles go into a <meta> CSP on every page, so islands
    // run without 'unsafe-inline'. What a meta tag cannot carry (frame-ancestors, base-uri,
    // object-src) the backend sends as a header (app/core/middleware.py).
    csp: {
      algorithm: "SHA-256",
      directives: [
        "default-src 'self'",
        "img-src 'self' data:",
        `connect-src 'self'${apiOrigin ? ` ${apiOrigin}` : ""}`,
        "form-action 'self'",
      ],
    },
  },
});
