import * as Schema from "effect/Schema"
import { ListPage } from "../src/schema/Common.js"
import { ContentPart, Message, TextPart, Annotation } from "../src/schema/Message.js"
import { Run } from "../src/schema/Run.js"
import * as fx from "./fixtures.js"
const bench = (name: string, f: () => unknown, n = 2000) => {
  for (let i = 0; i < 200; i++) f()
  const t = performance.now(); for (let i = 0; i < n; i++) f(); const us = (performance.now() - t) * 1000 / n
  console.log(name.padEnd(40), us.toFixed(1), "us")
}
const page = fx.page(Array.from({ length: 20 }, (_, i) => fx.message(i)), true)
const m = fx.message(1)
bench("page of 20 messages", () => Schema.decodeUnknownSync(ListPage(Message))(page))
const dm = Schema.decodeUnknownSync(Message)
bench("one message", () => dm(m))
const dp = Schema.decodeUnknownSync(ContentPart)
bench("content part", () => dp(m.content[0]))
const dt = Schema.decodeUnknownSync(TextPart)
bench("text part", () => dt(m.content[0]))
const da = Schema.decodeUnknownSync(Annotation)
bench("annotation", () => da(m.content[0].text.annotations[0]))
const runs = fx.page(Array.from({ length: 100 }, (_, i) => fx.run(fx.runId(i))), true)
const dr = Schema.decodeUnknownSync(ListPage(Run))
bench("page of 100 runs", () => dr(runs), 200)
