/**
 * How deep JSON text nests, found by one pass over the text with no recursion and no parsing, so
 * that a body nested a million levels deep costs what its length costs and cannot overflow a stack.
 *
 * @since 0.1.0
 */

/**
 * Where the text first opens an array or object deeper than `max` (the outermost value is at
 * depth 1): the keys and indices of the containers around it, or `undefined` when the text stays
 * within `max`. Text that is not JSON is scanned all the same; the JSON parser refuses it later.
 *
 * @since 0.1.0
 * @category checks
 */
export const deeperThan = (text: string, max: number): ReadonlyArray<string | number> | undefined => {
  // one frame per open container: whether it is an object, where its current key is, its index
  const isObject: Array<boolean> = []
  const keyStart: Array<number> = []
  const keyEnd: Array<number> = []
  const index: Array<number> = []
  let depth = 0
  let expectKey = false
  const n = text.length
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c === 34) {
      // a string: skip to its closing quote, past escapes
      const start = i
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i)
        if (d === 92) i++
        else if (d === 34) break
      }
      if (expectKey && depth > 0) {
        keyStart[depth - 1] = start
        keyEnd[depth - 1] = i + 1
        expectKey = false
      }
      continue
    }
    switch (c) {
      case 123: // {
      case 91: // [
        if (depth === max) return pathOf(text, depth, isObject, keyStart, keyEnd, index)
        isObject[depth] = c === 123
        keyStart[depth] = -1
        index[depth] = 0
        depth++
        expectKey = c === 123
        break
      case 125: // }
      case 93: // ]
        if (depth > 0) depth--
        expectKey = false
        break
      case 44: // ,
        if (depth > 0) {
          if (isObject[depth - 1]) expectKey = true
          else index[depth - 1]++
        }
        break
    }
  }
  return undefined
}

const pathOf = (
  text: string,
  depth: number,
  isObject: ReadonlyArray<boolean>,
  keyStart: ReadonlyArray<number>,
  keyEnd: ReadonlyArray<number>,
  index: ReadonlyArray<number>
): ReadonlyArray<string | number> => {
  const path: Array<string | number> = []
  for (let d = 0; d < depth; d++) {
    if (!isObject[d]) {
      path.push(index[d])
      continue
    }
    if (keyStart[d] < 0) break
    const raw = text.slice(keyStart[d], keyEnd[d])
    try {
      path.push(JSON.parse(raw) as string)
    } catch {
      path.push(raw.slice(1, -1))
    }
  }
  return path
}

const freeForm = new Set(["parameters", "schema", "metadata"])

/**
 * The request parameter a too deep path belongs to, as the API names parameters
 * (`tools[0].function.parameters`): the path down to the first value that holds free-form JSON
 * (a function's `parameters`, a JSON schema's `schema`, `metadata`), or else the top-level field.
 * `null` when the body itself is the problem.
 *
 * @since 0.1.0
 * @category checks
 */
export const paramOf = (path: ReadonlyArray<string | number>): string | null => {
  if (path.length === 0 || typeof path[0] !== "string") return null
  const end = path.findIndex((p) => typeof p === "string" && freeForm.has(p))
  const kept = end < 0 ? path.slice(0, 1) : path.slice(0, end + 1)
  let out = ""
  for (const p of kept) out += typeof p === "number" ? `[${p}]` : out === "" ? p : `.${p}`
  return out
}
