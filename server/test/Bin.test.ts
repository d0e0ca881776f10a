/**
 * The compiled bin as a user starts it: its ready line, its flags, its keys (flags, a file, the
 * environment; several at once), its warning when it listens beyond loopback without a key, its
 * connection limit, ids that keep list cursors right across a restart, and where it keeps its data
 * (`./effect-assistants.db` by default, `--db`, `--database-url`, `--memory`) with the one line it
 * stops with when that database cannot be used.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { freshPgUrl, pgSkipped } from "./store/databases.js"
import * as Bin from "./utils/bin.js"

const get = (url: string, token?: string) =>
  Effect.promise(() =>
    fetch(url, {
      headers: { "OpenAI-Beta": "assistants=v2", ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) }
    }).then((r) => r.status)
  )

const post = (url: string, body: unknown) =>
  Effect.promise(() =>
    fetch(url, {
      method: "POST",
      headers: { "OpenAI-Beta": "assistants=v2", "content-type": "application/json" },
      body: JSON.stringify(body)
    }).then((r) => r.json() as Promise<any>)
  )

describe("effect-assistants-server", () => {
  it.live("prints its base URL once it accepts connections, then serves the API", () =>
    Effect.scoped(Effect.gen(function*() {
      const bin = yield* Bin.start(["--memory", "--api-key", "sk-bin"])
      assert.match(bin.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/)
      assert.strictEqual(yield* get(`${bin.url}/assistants`, "sk-bin"), 200)
      assert.strictEqual(yield* get(`${bin.url}/assistants`), 401)
      // loopback: no warning
      assert.strictEqual(bin.stderr(), "")
    })))

  it.live("refuses an unknown flag with its usage and exit code 2", () =>
    Effect.gen(function*() {
      const result = yield* Bin.run(["--bogus"])
      assert.strictEqual(result.code, 2)
      assert.include(result.stderr, "usage: effect-assistants-server")
      assert.strictEqual((yield* Bin.run(["--max-body", "lots"])).code, 2)
      assert.strictEqual((yield* Bin.run(["--api-key-file", "/nonexistent/keys"])).code, 2)
    }))

  it.live("--help lists every flag the parser accepts", () =>
    Effect.gen(function*() {
      const help = yield* Bin.run(["--help"])
      assert.strictEqual(help.code, 0)
      const source = readFileSync(fileURLToPath(new URL("../src/bin.ts", import.meta.url)), "utf8")
      const flags = [...source.matchAll(/case "(--?[a-z-]+)":/g)].map((m) => m[1])
      assert.isAtLeast(flags.length, 12)
      for (const flag of flags) assert.match(help.stdout, new RegExp(`(^|[ ,])${flag}\\b`, "m"), flag)
    }))

  it.live("keys from --api-key, --api-key-file and ASSISTANTS_API_KEY, several at once", () =>
    Effect.scoped(Effect.gen(function*() {
      const file = join(mkdtempSync(join(tmpdir(), "keys-")), "keys")
      writeFileSync(file, "# team keys\nsk-file-1\n\n  sk-file-2  \n")
      const bin = yield* Bin.start(["--memory", "--api-key", "sk-flag", "--api-key-file", file], {
        ASSISTANTS_API_KEY: "sk-env-1,sk-env-2"
      })
      for (const key of ["sk-flag", "sk-file-1", "sk-file-2", "sk-env-1", "sk-env-2"]) {
        assert.strictEqual(yield* get(`${bin.url}/assistants`, key), 200, key)
      }
      // a prefix, a longer key, another case, the comment line: refused
      for (const key of ["sk-file", "sk-file-1x", "SK-FLAG", "# team keys"]) {
        assert.strictEqual(yield* get(`${bin.url}/assistants`, key), 401, key)
      }
    })))

  it.live("one line of warning when it listens beyond loopback without a key; none with a key", () =>
    Effect.scoped(Effect.gen(function*() {
      const open = yield* Bin.start(["--memory", "--host", "0.0.0.0"])
      const lines = open.stderr().trim().split("\n")
      assert.strictEqual(lines.length, 1)
      assert.match(lines[0], /^warning: listening on 0\.0\.0\.0 with no API key/)
      const keyed = yield* Bin.start(["--memory", "--host", "0.0.0.0"], { ASSISTANTS_API_KEY: "sk-x" })
      assert.strictEqual(keyed.stderr(), "")
    })))

  it.live("--max-connections: connections past the limit are closed at accept; freed slots serve again", () =>
    Effect.scoped(Effect.gen(function*() {
      const bin = yield* Bin.start(["--memory", "--max-connections", "2"])
      const open = (): Promise<{ socket: net.Socket; closed: Promise<void> }> =>
        new Promise((resolve) => {
          const socket = net.connect(bin.port, "127.0.0.1")
          socket.on("error", () => {})
          const closed = new Promise<void>((r) => socket.once("close", () => r()))
          socket.once("connect", () => resolve({ socket, closed }))
        })
      // two connections held, each proven accepted by a response
      const held = yield* Effect.promise(() => Promise.all([open(), open()]))
      for (const { socket } of held) {
        yield* Effect.promise(() =>
          new Promise<void>((resolve) => {
            socket.once("data", () => resolve())
            socket.write("GET /v1/assistants HTTP/1.1\r\nHost: x\r\nOpenAI-Beta: assistants=v2\r\n\r\n")
          })
        )
      }
      const third = yield* Effect.promise(open)
      third.socket.write("GET /v1/assistants HTTP/1.1\r\nHost: x\r\nOpenAI-Beta: assistants=v2\r\n\r\n")
      yield* Effect.promise(() => third.closed)
      held[0].socket.destroy()
      yield* Effect.promise(() => held[0].closed)
      // the server sees the close after the client does: retry until the slot is free (bounded)
      let status = 0
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = yield* Effect.promise(() =>
          fetch(`${bin.url}/assistants`, { headers: { "OpenAI-Beta": "assistants=v2" } }).then((r) => r.status, () => 0)
        )
      }
      assert.strictEqual(status, 200)
    })))

  it.live(
    "after a restart, a cursor from the old process pages the new one's objects right",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const first = yield* Bin.start(["--memory"])
        const old = yield* post(`${first.url}/threads`, { messages: [{ role: "user", content: "old" }] })
        const oldMessages = yield* Effect.promise(() =>
          fetch(`${first.url}/threads/${old.id}/messages`, { headers: { "OpenAI-Beta": "assistants=v2" } }).then((r) =>
            r.json() as Promise<any>
          )
        )
        const cursor = oldMessages.data[0].id as string
        first.process.kill("SIGTERM")
        yield* Bin.exit(first)
        const second = yield* Bin.start(["--memory"])
        const thread = yield* post(`${second.url}/threads`, {
          messages: Array.from({ length: 10 }, (_, i) => ({ role: "user", content: `new ${i}` }))
        })
        const list = (query: string) =>
          Effect.promise(() =>
            fetch(`${second.url}/threads/${thread.id}/messages?${query}`, {
              headers: { "OpenAI-Beta": "assistants=v2" }
            })
              .then((r) => r.json() as Promise<any>)
          )
        // every new object is newer than anything the old process made
        assert.strictEqual((yield* list(`order=desc&after=${cursor}`)).data.length, 0)
        const asc = yield* list(`order=asc&after=${cursor}&limit=100`)
        assert.deepStrictEqual(
          asc.data.map((m: any) => m.content[0].text.value),
          Array.from({ length: 10 }, (_, i) => `new ${i}`)
        )
        assert.notInclude(asc.data.map((m: any) => m.id), cursor)
      })),
    60_000
  )

  it.live(
    "with no storage flag, keeps its data in ./effect-assistants.db, named in the ready line",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const dir = mkdtempSync(join(tmpdir(), "bin-db-"))
        const started = () =>
          Effect.promise(() =>
            new Promise<{ url: string; line: string; stop: () => Promise<unknown> }>((resolve, reject) => {
              const child = spawn(process.execPath, [Bin.path, "--port", "0"], {
                cwd: dir,
                env: Bin.noDatabaseUrl(),
                stdio: ["ignore", "pipe", "pipe"]
              })
              let out = ""
              const exited = new Promise((done) => child.once("exit", done))
              child.stdout.on("data", (chunk) => {
                out += chunk
                const match = /^.*listening on (http:\/\/\S+\/v1).*$/m.exec(out)
                if (match) {
                  resolve({ url: match[1], line: match[0], stop: () => (child.kill("SIGTERM"), exited) })
                }
              })
              child.once("exit", (code) => reject(new Error(`exited ${code}: ${out}`)))
            })
          )
        const first = yield* started()
        assert.match(
          first.line,
          /^effect-assistants server listening on http:\/\/127\.0\.0\.1:\d+\/v1 \(data in \.\/effect-assistants\.db\)$/
        )
        const assistant = yield* post(`${first.url}/assistants`, { model: "gpt-4o", name: "kept" })
        yield* Effect.promise(first.stop)
        assert.isTrue(existsSync(join(dir, "effect-assistants.db")))
        const second = yield* started()
        yield* Effect.addFinalizer(() => Effect.promise(second.stop))
        assert.strictEqual(yield* get(`${second.url}/assistants/${assistant.id}`), 200)
      })),
    60_000
  )

  it.live("--memory keeps nothing and says so in the ready line", () =>
    Effect.scoped(Effect.gen(function*() {
      const bin = yield* Bin.start(["--memory"])
      assert.match(bin.stdout(), /listening on http:\/\/\S+\/v1 \(data in memory: nothing is kept\)\n/)
    })))

  it.live(
    "a second server on a --db file another one serves stops at start: one line naming the file, exit 1",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const file = join(mkdtempSync(join(tmpdir(), "bin-db-")), "owned.db")
        const first = yield* Bin.start(["--db", file])
        assert.include(first.stdout(), `(data in ${file})`)
        const second = yield* Bin.run(["--port", "0", "--db", file])
        assert.strictEqual(second.code, 1)
        assert.strictEqual(second.stdout, "")
        assert.strictEqual(
          second.stderr,
          `effect-assistants-server: ${file} is in use by another process: one server owns a SQLite database\n`
        )
        // the first goes on serving
        assert.strictEqual(yield* get(`${first.url}/assistants`), 200)
      })),
    60_000
  )

  it.live("a database it cannot open or reach: one line saying so, exit 1", () =>
    Effect.gen(function*() {
      const missing = join(mkdtempSync(join(tmpdir(), "bin-db-")), "no-such-dir", "x.db")
      const file = yield* Bin.run(["--port", "0", "--db", missing])
      assert.strictEqual(file.code, 1)
      assert.match(file.stderr, new RegExp(`^effect-assistants-server: cannot open ${missing}: [^\n]+\n$`))
      const pg = yield* Bin.run(["--port", "0", "--database-url", "postgres://someone:secret@127.0.0.1:1/nothing"])
      assert.strictEqual(pg.code, 1)
      assert.match(
        pg.stderr,
        /^effect-assistants-server: cannot connect to postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nothing: [^\n]+\n$/
      )
      assert.notInclude(pg.stderr, "secret")
    }), 60_000)

  it.live("two storage flags, or a --database-url that is not postgres://, exit 2 with the usage", () =>
    Effect.gen(function*() {
      const both = yield* Bin.run(["--db", "x.db", "--memory"])
      assert.strictEqual(both.code, 2)
      assert.match(both.stderr, /^--db and --memory: give one of --db, --database-url and --memory\n/)
      assert.strictEqual((yield* Bin.run(["--database-url", "mysql://x"])).code, 2)
    }))

  it.live.skipIf(pgSkipped !== undefined)(
    `--database-url: the data outlives the process${pgSkipped ? ` (skipped: ${pgSkipped})` : ""}`,
    () =>
      Effect.scoped(Effect.gen(function*() {
        const url = yield* freshPgUrl
        const first = yield* Bin.start(["--database-url", url])
        assert.match(first.stdout(), /\(data in postgres:\/\/postgres@127\.0\.0\.1:\d+\/ea_test_\w+\)/)
        const assistant = yield* post(`${first.url}/assistants`, { model: "gpt-4o" })
        first.process.kill("SIGTERM")
        yield* Bin.exit(first)
        const second = yield* Bin.start(["--database-url", url])
        assert.strictEqual(yield* get(`${second.url}/assistants/${assistant.id}`), 200)
      })),
    60_000
  )
})
