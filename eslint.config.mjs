// One linter and formatter for both packages, as the Effect repository runs it: typescript-eslint's
// recommended rules plus @effect/eslint-plugin, whose `dprint` rule formats (dprint's own CLI would
// fetch its plugins from URLs this project's machines cannot reach).
import * as effectEslint from "@effect/eslint-plugin"
import eslint from "@eslint/js"
import tseslint from "typescript-eslint"

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "bench/.build/**", "docs/**", "server/docs/**"] },
  eslint.configs.recommended,
  tseslint.configs.recommended,
  effectEslint.configs.dprint,
  {
    rules: {
      "@effect/dprint": ["error", {
        config: {
          indentWidth: 2,
          lineWidth: 120,
          semiColons: "asi",
          quoteStyle: "alwaysDouble",
          trailingCommas: "never",
          operatorPosition: "maintain",
          "arrowFunction.useParentheses": "force"
        }
      }],
      // Only public entry points of Effect packages: deep module paths, never a barrel in library
      // code (cold start and bundle size) and never an internal, src or dist path (a patch release
      // may change those without a compile error).
      "no-restricted-imports": ["error", {
        patterns: [{
          regex: "^(effect|@effect/[^/]+)/(internal|src|dist)(/|$)",
          message: "Import Effect packages through their public modules only."
        }, {
          regex: "^@effect/[^/]+/.*/internal(/|$)",
          message: "Import Effect packages through their public modules only."
        }]
      }],
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-empty-object-type": "off",
      "@typescript-eslint/no-namespace": "off",
      "no-constant-condition": ["error", { checkLoops: false }]
    }
  },
  {
    files: ["src/**/*.ts", "server/src/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: [
          { name: "effect", message: "Library code imports deep module paths (effect/Effect), not the barrel." },
          { name: "@effect/platform", message: "Library code imports deep module paths, not the barrel." }
        ],
        patterns: [{
          regex: "^(effect|@effect/[^/]+)/(internal|src|dist)(/|$)",
          message: "Import Effect packages through their public modules only."
        }]
      }]
    }
  }
)
