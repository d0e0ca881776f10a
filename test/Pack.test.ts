/**
 * The two packages as a registry user gets them: `npm pack` both (from the `dist/` that
 * `npm run build`, run by `prepare`, left), install the tarballs with the peers into a fresh
 * project outside this repository, then import them under plain node, type-check a consumer under
 * strict flags, count the copies of effect, and serve a client call from the installed bin.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { build } from "esbuild"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describeOutput, type Output, run, startUntil } from "./utils/childProcess.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const tsc = join(root, "node_modules", "typescript", "bin", "tsc")
const peers = ["effect@3.22.4", "@effect/platform@0.97.2", "@effect/experimental@0.61.1"]

interface Tarball {
  readonly filename: string
  readonly files: ReadonlyArray<string>
}

class Packed extends Context.Tag("test/Pack/Packed")<Packed, {
  readonly client: Tarball
  readonly server: Tarball
  /** The consumer project the tarballs are installed in. */
  readonly app: string
}>() {}

const succeed = (what: string, output: Output) =>
  output.code === 0 ? Effect.succeed(output) : Effect.dieMessage(`${what} failed: ${describeOutput(output)}`)

const pack = (dir: string, workspace: ReadonlyArray<string>) =>
  Effect.flatMap(
    run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir, ...workspace], {
      cwd: root,
      timeout: "2 minutes"
    }),
    (output) =>
      Effect.map(succeed("npm pack", output), ({ stdout }): Tarball => {
        const [result] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>
        return { filename: join(dir, result!.filename), files: result!.files.map((file) => file.path) }
      })
  )

const PackedLive = Layer.scoped(
  Packed,
  Effect.gen(function*() {
    for (
      const built of [
        "dist/index.js",
        "dist/layers/NodeTransport.js",
        "dist/bundle/index.js",
        "dist/bundle/internal/client.js",
        "server/dist/index.js",
        "server/dist/bin.js"
      ]
    ) {
      if (!existsSync(join(root, built))) return yield* Effect.dieMessage(`${built} is missing: run npm run build`)
    }
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "effect-assistants-pack-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    const client = yield* pack(dir, [])
    const server = yield* pack(dir, ["--workspace", "effect-assistants-server"])
    // a project of its own, outside this repository, so that nothing resolves through our node_modules
    const app = join(dir, "app")
    yield* Effect.sync(() => {
      mkdirSync(app)
      writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }))
    })
    const install = yield* run(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        client.filename,
        server.filename,
        ...peers,
        "@types/node@20.19.25"
      ],
      { cwd: app, timeout: "8 minutes" }
    )
    yield* succeed("npm install", install)
    return { client, server, app }
  })
)

const consumer =
  `import { Assistants, type AssistantsError, AssistantsLive, Runs, Threads, Tool } from "effect-assistants"
import * as NodeTransport from "effect-assistants/node"
import * as RunsModule from "effect-assistants/Runs"
import { AssistantsServer } from "effect-assistants-server"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"

const echo = Tool.make({
  name: "echo",
  parameters: Schema.Struct({ text: Schema.String }),
  handler: ({ text }) => Effect.succeed(text)
})

const program = Effect.gen(function*() {
  const assistant = yield* Assistants.create({ model: "gpt-4o", tools: [echo.definition] })
  const thread = yield* Threads.create({ messages: [{ role: "user", content: "echo" }] })
  const run = yield* Runs.createAndRunTools({ threadId: thread.id, assistantId: assistant.id, tools: [echo] })
  const statuses = yield* RunsModule.watch({ threadId: thread.id, runId: run.id }).pipe(
    Stream.map(({ current }) => current),
    Stream.runCollect
  )
  const first: string | undefined = run.requiredAction?.submitToolOutputs.toolCalls[0]?.id
  return { run: yield* Runs.ensureCompleted(run), statuses, first }
}).pipe(Effect.catchTag("NotFoundError", (e: AssistantsError.NotFoundError) => Effect.die(e)))

const Live = Layer.unwrapEffect(
  Effect.map(AssistantsServer.AssistantsServer, ({ url }) => AssistantsLive.layer({ baseUrl: url }))
).pipe(Layer.provide([AssistantsServer.layer(), NodeTransport.layer]))

export const main = Effect.provide(program, Live)
`

const strictFlags = {
  target: "ES2022",
  lib: ["ES2022"],
  types: ["node"],
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noPropertyAccessFromIndexSignature: true,
  skipLibCheck: false,
  noEmit: true
}

layer(PackedLive, { timeout: "10 minutes", excludeTestServices: true })("packed tarballs", (it) => {
  it.effect("hold dist/, src/, README, LICENSE and CHANGELOG, and nothing else", () =>
    Effect.gen(function*() {
      const { client, server } = yield* Packed
      for (const [name, tarball] of [["client", client], ["server", server]] as const) {
        for (
          const required of [
            "package.json",
            "README.md",
            "LICENSE",
            "CHANGELOG.md",
            "dist/index.js",
            "dist/index.d.ts",
            "src/index.ts"
          ]
        ) {
          assert.include(tarball.files, required, `${name} tarball`)
        }
        const stray = tarball.files.filter((path) =>
          !/^(dist|src)\//.test(path) && !["package.json", "README.md", "LICENSE", "CHANGELOG.md"].includes(path)
        )
        assert.deepStrictEqual(stray, [], `${name} tarball: files outside dist/ and src/`)
        const unwanted = tarball.files.filter((path) =>
          /(^|\/)(test|bench|\.ci|examples|internal-test)\//.test(path) || /\.(pem|key|tsbuildinfo)$/.test(path) ||
          /\.test\.[jt]s$/.test(path)
        )
        assert.deepStrictEqual(unwanted, [], `${name} tarball: tests, keys or build leftovers`)
        // every module tsc compiled comes with its declarations and both maps
        const js = tarball.files.filter((path) =>
          path.startsWith("dist/") && !path.startsWith("dist/bundle/") && path.endsWith(".js")
        )
        for (const file of js) {
          const base = file.slice(0, -3)
          for (const companion of [`${base}.js.map`, `${base}.d.ts`, `${base}.d.ts.map`]) {
            assert.include(tarball.files, companion, `${name} tarball`)
          }
        }
      }
      assert.include(client.files, "dist/layers/NodeTransport.js")
      assert.include(server.files, "dist/bin.js")
      // Node's build of the client (scripts/bundle.mjs): a module per subpath over one bundled
      // module with its map, and the transport on its own
      for (const path of ["index.js", "services/Runs.js", "internal/client.js", "internal/client.js.map"]) {
        assert.include(client.files, `dist/bundle/${path}`)
      }
      assert.include(client.files, "dist/bundle/layers/NodeTransport.js")
    }))

  it.effect("import under plain node: the client's ., ./node and every subpath of the root's namespaces, and the server's .", () =>
    Effect.gen(function*() {
      const { app } = yield* Packed
      const script = [
        `import { AssistantsLive, Runs } from "effect-assistants"`,
        `import * as NodeTransport from "effect-assistants/node"`,
        `import * as RunsModule from "effect-assistants/Runs"`,
        `import { AssistantsServer } from "effect-assistants-server"`,
        `console.log([typeof AssistantsLive.layer, typeof NodeTransport.layer, RunsModule.watch === Runs.watch, typeof AssistantsServer.layer].join(" "))`,
        `console.log(import.meta.resolve("effect-assistants/Runs"))`,
        // the root's namespaces are built in the bundled client, apart from the subpath modules (so
        // under Node they are not the subpaths' namespace objects): each must hand out exactly its
        // subpath's names and values
        `import * as Root from "effect-assistants"`,
        `const differ = []`,
        `for (const [name, namespace] of Object.entries(Root)) {`,
        `  const subpath = await import("effect-assistants/" + name)`,
        `  const keys = Object.keys(subpath).sort()`,
        `  if (keys.join() !== Object.keys(namespace).sort().join() || keys.some((k) => subpath[k] !== namespace[k])) differ.push(name)`,
        `}`,
        `console.log(Object.keys(Root).length + " namespaces, differing: " + (differ.join() || "none"))`
      ].join("\n")
      const output = yield* run(process.execPath, ["--input-type=module", "-e", script], {
        cwd: app,
        timeout: "1 minute"
      })
      yield* succeed("node", output)
      const [kinds, resolved, namespaces] = output.stdout.trim().split("\n")
      assert.strictEqual(kinds, "function object true function")
      const declared = readFileSync(join(root, "src", "index.ts"), "utf8").match(/^export \* as \w+ from /gm)
      assert.strictEqual(namespaces, `${declared?.length} namespaces, differing: none`)
      // Node resolves the `default` condition: its bundled build (bundlers take `module`, tsc's)
      assert.match(resolved!, /\/node_modules\/effect-assistants\/dist\/bundle\/services\/Runs\.js$/)
    }))

  it.effect("a bundler takes tsc's module-per-file build, so that it drops the modules a program never reaches", () =>
    Effect.gen(function*() {
      const { app } = yield* Packed
      const result = yield* Effect.promise(() =>
        build({
          stdin: {
            contents: `import * as Runs from "effect-assistants/Runs"\nconsole.log(typeof Runs.get)`,
            resolveDir: app
          },
          absWorkingDir: app,
          bundle: true,
          platform: "node",
          format: "esm",
          write: false,
          metafile: true,
          logLevel: "silent"
        })
      )
      // the modules of ours whose code reaches the output
      const ours = Object.values(result.metafile.outputs).flatMap((output) =>
        Object.entries(output.inputs).filter(([path, input]) =>
          path.includes("node_modules/effect-assistants/") && input.bytesInOutput > 0
        ).map(([path]) => path.slice(path.indexOf("node_modules/effect-assistants/")))
      )
      assert.include(ours, "node_modules/effect-assistants/dist/services/Runs.js")
      assert.deepStrictEqual(ours.filter((path) => path.includes("/dist/bundle/")), [])
      // a program of the runs service reaches neither the stream events nor the Node transport
      assert.notInclude(ours, "node_modules/effect-assistants/dist/schema/StreamEvent.js")
      assert.notInclude(ours, "node_modules/effect-assistants/dist/layers/NodeTransport.js")
    }))

  for (const [resolution, module] of [["NodeNext", "NodeNext"], ["Bundler", "ESNext"]] as const) {
    it.effect(
      `type-check a consumer under strict flags, ${resolution} resolution, skipLibCheck off`,
      () =>
        Effect.gen(function*() {
          const { app } = yield* Packed
          const config = `tsconfig.${resolution}.json`
          yield* Effect.sync(() => {
            writeFileSync(join(app, "consumer.ts"), consumer)
            writeFileSync(
              join(app, config),
              JSON.stringify({
                compilerOptions: { ...strictFlags, module, moduleResolution: resolution },
                files: ["consumer.ts"]
              })
            )
          })
          const output = yield* run(process.execPath, [tsc, "-p", config], { cwd: app, timeout: "3 minutes" })
          assert.strictEqual(output.code, 0, describeOutput(output))
        }),
      200_000
    )
  }

  it.effect("one copy of effect and of @effect/platform", () =>
    Effect.gen(function*() {
      const { app } = yield* Packed
      for (const name of ["effect", "@effect/platform"]) {
        const output = yield* run("npm", ["ls", name, "--all", "--parseable"], { cwd: app, timeout: "1 minute" })
        yield* succeed("npm ls", output)
        const copies = new Set(output.stdout.trim().split("\n").filter((line) => line.includes("node_modules")))
        assert.deepStrictEqual([...copies].map((path) => path.slice(app.length)), [`/node_modules/${name}`])
      }
      const installed = JSON.parse(readFileSync(join(app, "node_modules", "effect", "package.json"), "utf8"))
      assert.strictEqual(installed.version, "3.22.4")
    }))

  it.effect("the installed bin serves a client call", () =>
    Effect.gen(function*() {
      const { app } = yield* Packed
      const bin = join(app, "node_modules", ".bin", "effect-assistants-server")
      const { child, match } = yield* startUntil(
        bin,
        ["--port", "0", "--host", "127.0.0.1"],
        /(http:\/\/127\.0\.0\.1:\d+\/v1)/,
        {
          cwd: app,
          timeout: "1 minute"
        }
      )
      const script = [
        `import { Assistants, AssistantsLive } from "effect-assistants"`,
        `import * as NodeTransport from "effect-assistants/node"`,
        `import * as Effect from "effect/Effect"`,
        `import * as Layer from "effect/Layer"`,
        `const Live = AssistantsLive.layer({ baseUrl: process.argv[1] }).pipe(Layer.provide(NodeTransport.layer))`,
        `const assistant = await Effect.runPromise(Effect.provide(Assistants.create({ model: "gpt-4o", name: "packed" }), Live))`,
        `console.log(assistant.id, assistant.name)`
      ].join("\n")
      const output = yield* run(process.execPath, ["--input-type=module", "-e", script, match[1]!], {
        cwd: app,
        timeout: "1 minute"
      })
      yield* succeed("client call", output)
      assert.match(output.stdout.trim(), /^asst_\w+ packed$/)
      assert.strictEqual(child.exitCode, null, "the server is still running")
    }).pipe(Effect.scoped))
})

describe("exports maps", () => {
  // the client gives bundlers tsc's module-per-file build (`module`, which Node ignores) and Node its
  // bundled build (`default`, scripts/bundle.mjs); the server ships tsc's build only
  const packages = [
    ["effect-assistants", root, (module: string) => ({
      "effect-assistants-source": `./src/${module}.ts`,
      types: `./dist/${module}.d.ts`,
      module: `./dist/${module}.js`,
      default: `./dist/bundle/${module}.js`
    })],
    ["effect-assistants-server", join(root, "server"), (module: string) => ({
      "effect-assistants-source": `./src/${module}.ts`,
      types: `./dist/${module}.d.ts`,
      default: `./dist/${module}.js`
    })]
  ] as const
  for (const [name, dir, expected] of packages) {
    it(`${name}: one subpath per namespace of the root entry, each with its source, types and code`, () => {
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        exports: Record<string, string | Record<string, string>>
      }
      const index = readFileSync(join(dir, "src", "index.ts"), "utf8")
      const namespaces = [...index.matchAll(/^export \* as (\w+) from "\.\/(.+)\.js"$/gm)]
      assert.isAbove(namespaces.length, 0)
      for (const [, namespace, module] of namespaces) {
        assert.deepStrictEqual(manifest.exports[`./${namespace}`], expected(module!), `${name}/${namespace}`)
      }
      for (const [subpath, target] of Object.entries(manifest.exports)) {
        if (typeof target === "string") continue
        assert.deepStrictEqual(Object.keys(target), Object.keys(expected("index")), subpath)
        assert.isTrue(existsSync(join(dir, target["effect-assistants-source"]!)), `${name} ${subpath}: no source`)
      }
    })
  }
})
