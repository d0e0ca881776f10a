import { defineConfig } from "vitest/config"

// `effect-assistants-source` resolves both packages' subpaths to their TypeScript sources, so the
// server's `effect-assistants/Run` and a test's `../src/schema/Run.js` are one module, not a source
// copy and a dist copy.
export default defineConfig({
  resolve: { conditions: ["effect-assistants-source"] },
  ssr: { resolve: { conditions: ["effect-assistants-source"] } },
  test: {
    include: ["test/**/*.test.ts", "server/test/**/*.test.ts", "examples/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})
