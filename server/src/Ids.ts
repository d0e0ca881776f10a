/**
 * Ids in the API's formats (`asst_`, `thread_`, `msg_`, `run_`, `step_`, `call_`, `req_`).
 *
 * After the prefix come 24 base-36 digits, in three fixed-width parts: the creation time in
 * milliseconds (9 digits), a counter of this process (6 digits), and a random part drawn once per
 * process (9 digits). Fixed widths and one case make lexical order the order of creation, so list
 * cursors compare ids as strings and keep their place after the object they name was deleted; the
 * time and the process part keep ids from repeating after a restart or in another process, so an
 * old cursor can never name a new object.
 *
 * @since 0.1.0
 */
import { randomInt } from "node:crypto"

const timeWidth = 9
const counterWidth = 6
const processWidth = 9
const counterLimit = 36 ** counterWidth

const digits = (n: number, width: number) => n.toString(36).padStart(width, "0")

const processPart = (() => {
  let out = ""
  for (let i = 0; i < processWidth; i++) out += randomInt(36).toString(36)
  return out
})()

let lastMillis = 0
let counter = 0

/**
 * A new id with `prefix`, later in lexical order than every id this process made before.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (prefix: "asst" | "thread" | "msg" | "run" | "step" | "call" | "req") => {
  // a clock set back must not reorder ids: time never goes backwards here
  const now = Math.max(Date.now(), lastMillis)
  if (now !== lastMillis) {
    lastMillis = now
    counter = 0
  } else if (++counter === counterLimit) {
    // more ids in one millisecond than the counter holds: borrow the next millisecond
    lastMillis = now + 1
    counter = 0
  }
  return `${prefix}_${digits(lastMillis, timeWidth)}${digits(counter, counterWidth)}${processPart}`
}

const pattern = /^[a-z]+_([0-9a-z]{24})$/

/**
 * The part of an id that orders it (lexically, as strings), or `undefined` when the id is not one
 * of ours.
 *
 * @since 0.1.0
 * @category getters
 */
export const keyOf = (id: string): string | undefined => {
  const match = pattern.exec(id)
  return match ? match[1] : undefined
}
