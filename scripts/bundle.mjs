/**
 * The build Node runs (`npm run build`, after tsc): the `default` condition of every subpath.
 *
 * tsc's build in `dist/` is one file per module, which is what bundlers want (they resolve the
 * `module` condition, which Node ignores, and drop whole modules a program never reaches thanks to
 * `"sideEffects": false`). Node, unbundled, pays for every file it loads: resolving each import,
 * reading, compiling and linking each module. So Node gets `dist/bundle/`:
 *
 * - `internal/client.js`: every module the subpaths reach, bundled by esbuild (peers external),
 *   exporting each subpath's names under a prefixed name;
 * - `layers/NodeTransport.js`: the Node transport, an entry of its own (the root entry does not load
 *   `node:http` and `node:https`), with any code it shares with the client in a common chunk;
 * - one module per subpath (`services/Runs.js`, ...) that re-exports its names from the client, so
 *   that every subpath hands out the same classes, tags and schemas;
 * - `index.js`: the root's namespaces, as `src/index.ts` declares them, built in the client too: the
 *   root entry loads one module, not one per subpath. Each hands out its subpath's very values,
 *   but is esbuild's object of getters, not the subpath's namespace object (`Root.Runs` is not
 *   `import("effect-assistants/Runs")` itself, as it is in tsc's build).
 *
 * Both builds come from the same sources; a program loads one of them, as all its imports of the
 * package resolve under the same conditions. Declarations stay tsc's (the `types` condition).
 *
 * Usage: node scripts/bundle.mjs
 */
import { build } from "esbuild"
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { fileURLToPath, URL } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const src = join(root, "src")
const out = join(root, "dist", "bundle")
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))

/** Each subpath's module, as a path under src/ without extension: `services/Runs`. */
const modules = Object.values(manifest.exports)
  .filter((target) => typeof target === "object")
  .map((target) => target["effect-assistants-source"].replace(/^\.\/src\//, "").replace(/\.ts$/, ""))
  .filter((module) => module !== "index")
const transport = "layers/NodeTransport"
const shared = modules.filter((module) => module !== transport)
const prefix = (module) => `${module.replace(/\W/g, "_")}$`

// the names each module exports at run time (types are erased), as esbuild sees them
const probe = await build({
  absWorkingDir: root,
  entryPoints: modules.map((module) => join(src, `${module}.ts`)),
  outbase: src,
  outdir: out,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  packages: "external",
  write: false,
  metafile: true,
  logLevel: "error"
})
// (keyed by output path, which mirrors the module's path under src/)
const exportsOf = new Map(
  Object.entries(probe.metafile.outputs)
    .filter(([, output]) => output.entryPoint !== undefined)
    .map(([path, output]) => [relative(out, join(root, path)).replace(/\.js$/, ""), output.exports])
)
for (const module of modules) {
  if (!exportsOf.has(module)) throw new Error(`no exports found for ${module}`)
}

// the root's namespaces, as src/index.ts declares them
const index = readFileSync(join(src, "index.ts"), "utf8")
const namespaces = [...index.matchAll(/^export \* as (\w+) from "\.\/(.+)\.js"$/gm)]

// the client: one module re-exporting every shared subpath's names under its prefix, and the
// root's namespaces (built in it, so that the root entry loads one file, not one per subpath)
const client = [
  ...shared.map((module) =>
    `export { ${
      exportsOf.get(module).map((name) => `${name} as ${prefix(module)}${name}`).join(", ")
    } } from "./src/${module}.ts"`
  ),
  ...namespaces.map(([, name, module]) => `export * as index$${name} from "./src/${module}.ts"`)
].join("\n")

rmSync(out, { recursive: true, force: true })
await build({
  entryPoints: [
    { in: "effect-assistants:client", out: "internal/client" },
    { in: join(src, `${transport}.ts`), out: transport }
  ],
  outdir: out,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "es2022",
  packages: "external",
  sourcemap: true,
  chunkNames: "internal/[name]-[hash]",
  plugins: [{
    name: "effect-assistants-client",
    setup(build) {
      build.onResolve({ filter: /^effect-assistants:client$/ }, () => ({ path: "client", namespace: "client" }))
      build.onLoad({ filter: /.*/, namespace: "client" }, () => ({ contents: client, resolveDir: root, loader: "js" }))
    }
  }],
  logLevel: "warning"
})

const write = (file, text) => {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, text)
}

for (const module of shared) {
  const file = join(out, `${module}.js`)
  let from = relative(dirname(file), join(out, "internal", "client.js"))
  if (!from.startsWith(".")) from = `./${from}`
  const names = exportsOf.get(module).map((name) => `${prefix(module)}${name} as ${name}`)
  write(file, `export { ${names.join(", ")} } from "${from}"\n`)
}

write(
  join(out, "index.js"),
  `export { ${namespaces.map(([, name]) => `index$${name} as ${name}`).join(", ")} } from "./internal/client.js"\n`
)
