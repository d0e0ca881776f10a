import * as Schema from "effect/Schema"
import * as Decoder from "../src/schema/Decoder.js"
import { ListPage } from "../src/schema/Common.js"
import { Message } from "../src/schema/Message.js"
import { Run } from "../src/schema/Run.js"
import * as fx from "./fixtures.js"
import { isDeepStrictEqual } from "node:util"
const bench = (name: string, f: () => unknown, n = 500) => {
  for (let i = 0; i < 100; i++) f()
  const t = performance.now(); for (let i = 0; i < n; i++) f(); const us = (performance.now() - t) * 1000 / n
  console.log(name.padEnd(40), us.toFixed(1), "us")
}
const mp = ListPage(Message), rp = ListPage(Run)
const page = fx.page(Array.from({ length: 20 }, (_, i) => fx.message(i)), true)
const runs = fx.page(Array.from({ length: 100 }, (_, i) => fx.run(fx.runId(i))), true)
const s1 = Schema.decodeUnknownSync(mp), f1 = Decoder.decodeUnknown(mp)
const s2 = Schema.decodeUnknownSync(rp), f2 = Decoder.decodeUnknown(rp)
console.log("equal messages", isDeepStrictEqual(s1(page), (f1(page) as any).right), "equal runs", isDeepStrictEqual(s2(runs), (f2(runs) as any).right))
console.log(JSON.stringify(s2(runs).data[0]) === JSON.stringify((f2(runs) as any).right.data[0]))
bench("standard 20 messages", () => s1(page))
bench("compiled 20 messages", () => f1(page))
bench("standard 100 runs", () => s2(runs), 100)
bench("compiled 100 runs", () => f2(runs), 100)
