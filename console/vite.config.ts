// The console is served by `slipway serve` under /console/ (index also at
// /), every asset embedded in the binary: see crates/slipway-console.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/console/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Assets are embedded in the server binary; source maps would double it.
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
});
