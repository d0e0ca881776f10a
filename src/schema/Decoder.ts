/**
 * A faster decoding path for response schemas, with the same results.
 *
 * `compile` walks a schema's AST once and builds a specialised function for it: plain checks for
 * keywords and literals, the schema's own refinement predicates, key renames and defaults from
 * its property-signature transformations, and union candidates chosen exactly as effect's
 * `ParseResult` chooses them. Every field is still validated.
 *
 * The compiled function only ever says "valid, here is the value" or "not sure". On "not sure"
 * the standard `ParseResult` decoder runs, so errors (and any input the compiled path declines,
 * such as AST nodes it does not handle) come out exactly as before. `test/Decoder.test.ts` checks
 * that both paths agree on generated valid and invalid bodies.
 *
 * Why: decoding a page of 100 runs with the standard interpreter costs about 6 ms
 * (bench/README.md); most of it is generic machinery (Either allocation, issue bookkeeping,
 * options lookups) that a response which is valid does not need.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"

/**
 * What a compiled decoder returns when it cannot vouch for the input.
 *
 * @since 0.1.0
 * @category constants
 */
export const DECLINE: unique symbol = Symbol.for("effect-assistants/Decoder/decline")

type Compiled = (input: unknown) => unknown

const hasOwn = Object.prototype.hasOwnProperty
const parseOptions: AST.ParseOptions = {}

const isRecord = (u: unknown): u is Record<PropertyKey, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const isRecordOrArray = (u: unknown): u is Record<PropertyKey, unknown> => typeof u === "object" && u !== null

/** The literals a member is recognised by, as `ParseResult.getLiterals` finds them when decoding. */
const literalsOf = (ast: AST.AST): Array<readonly [PropertyKey, AST.Literal]> => {
  switch (ast._tag) {
    case "TypeLiteral": {
      const out: Array<readonly [PropertyKey, AST.Literal]> = []
      for (const ps of ast.propertySignatures) {
        const type = AST.encodedAST(ps.type)
        if (AST.isLiteral(type) && !ps.isOptional) out.push([ps.name, type])
      }
      return out
    }
    case "TupleType":
      // an array has none; tuples (which may) are left to the standard decoder, like every tuple
      if (ast.elements.length > 0) throw new Unsupported()
      return []
    case "Refinement":
      return literalsOf(ast.from)
    case "Transformation":
      return literalsOf(ast.from)
    case "Declaration":
    case "Suspend":
      // the standard decoder may find literals behind these; let it decide
      throw new Unsupported()
  }
  return []
}

class Unsupported extends Error {}

const compileUnion = (ast: AST.Union): Compiled => {
  if (ast.types.every(AST.isLiteral)) {
    // an enum: one lookup instead of a member at a time
    const values = new Set<unknown>(ast.types.map((t) => (t as AST.Literal).literal))
    return (input) => (values.has(input) ? input : DECLINE)
  }
  // the same buckets as ParseResult.getSearchTree, so candidates come in the same order
  const keys = new Map<PropertyKey, Map<string, Array<number>>>()
  const otherwise: Array<number> = []
  ast.types.forEach((member, index) => {
    const tags = literalsOf(member)
    if (tags.length === 0) {
      otherwise.push(index)
      return
    }
    for (let j = 0; j < tags.length; j++) {
      const [key, literal] = tags[j]
      const hash = String(literal.literal)
      let buckets = keys.get(key)
      if (buckets === undefined) {
        buckets = new Map()
        keys.set(key, buckets)
      }
      const bucket = buckets.get(hash)
      if (bucket !== undefined) {
        if (j < tags.length - 1) continue
        bucket.push(index)
      } else {
        buckets.set(hash, [index])
        break
      }
    }
  })
  const members = ast.types.map(compile)
  const keyList = [...keys.entries()]
  return (input) => {
    if (keyList.length > 0 && isRecordOrArray(input)) {
      for (const [key, buckets] of keyList) {
        if (!hasOwn.call(input, key)) continue
        const bucket = buckets.get(String(input[key as string]))
        if (bucket === undefined) continue
        for (const index of bucket) {
          const out = members[index](input)
          if (out !== DECLINE) return out
        }
      }
    }
    for (const index of otherwise) {
      const out = members[index](input)
      if (out !== DECLINE) return out
    }
    return DECLINE
  }
}

const compileTypeLiteral = (ast: AST.TypeLiteral): Compiled => {
  const props = ast.propertySignatures.map((ps) => ({ name: ps.name, optional: ps.isOptional, decode: compile(ps.type) }))
  const indexes = ast.indexSignatures.map((is) => {
    const parameter = AST.encodedAST(is.parameter)
    if (parameter._tag !== "StringKeyword") throw new Unsupported()
    return compile(is.type)
  })
  const expected = new Set<PropertyKey>(props.map((p) => p.name))
  return (input) => {
    if (!isRecord(input)) return DECLINE
    const output: Record<PropertyKey, unknown> = {}
    for (let i = 0; i < props.length; i++) {
      const p = props[i]
      if (!hasOwn.call(input, p.name) && p.optional) continue
      const value = p.decode(input[p.name as string])
      if (value === DECLINE) return DECLINE
      output[p.name] = value
    }
    for (let i = 0; i < indexes.length; i++) {
      const decode = indexes[i]
      for (const key of Object.keys(input)) {
        const value = decode(input[key])
        if (value === DECLINE) return DECLINE
        if (!expected.has(key)) output[key] = value
      }
    }
    return output
  }
}

const compileTransformation = (ast: AST.Transformation): Compiled => {
  const transformation = ast.transformation
  if (transformation._tag === "TypeLiteralTransformation") return compileRenaming(ast, transformation)
  const from = compile(ast.from)
  switch (transformation._tag) {
    case "FinalTransformation": {
      const to = compile(ast.to)
      return (input) => {
        const decoded = from(input)
        if (decoded === DECLINE) return DECLINE
        const result = transformation.decode(decoded, parseOptions, ast, input)
        // only synchronous, pure transformations are taken here (Either is what `transform` gives)
        if (!Either.isEither(result) || Either.isLeft(result)) return DECLINE
        return to(result.right)
      }
    }
    case "ComposeTransformation": {
      const to = compile(ast.to)
      return (input) => {
        const decoded = from(input)
        return decoded === DECLINE ? DECLINE : to(decoded)
      }
    }
  }
}

/** What a property-signature transformation does, learnt by probing it (it is pure). */
interface Probed {
  /** A present value comes out unchanged. */
  readonly passthrough: boolean
  /** An absent value: stays absent, becomes a constant, or needs the function each time. */
  readonly absent: { readonly _tag: "None" } | { readonly _tag: "Const"; readonly value: unknown } | { readonly _tag: "Call" }
}

const probe = (decode: (o: Option.Option<unknown>) => Option.Option<unknown>): Probed => {
  const sentinel = {}
  const present = decode(Option.some(sentinel))
  const absent = decode(Option.none())
  return {
    passthrough: Option.isSome(present) && present.value === sentinel,
    absent: Option.isNone(absent)
      ? { _tag: "None" }
      : absent.value === null || typeof absent.value !== "object"
      ? { _tag: "Const", value: absent.value }
      : { _tag: "Call" } // a fresh default (an array, an object) each time
  }
}

/**
 * A struct with renamed or defaulted keys, in one pass: each target key is read from its source
 * key, decoded, transformed, and written straight into the output, in the order the standard
 * decoder leaves it. Source keys no target reads are still validated.
 */
const compileRenaming = (ast: AST.Transformation, transformation: AST.TypeLiteralTransformation): Compiled => {
  const from = ast.from
  const to = ast.to
  // other shapes are left to the standard decoder
  if (!AST.isTypeLiteral(from) || !AST.isTypeLiteral(to) || from.indexSignatures.length > 0 || to.indexSignatures.length > 0) {
    throw new Unsupported()
  }
  const sources = new Map(from.propertySignatures.map((ps) => [ps.name, { optional: ps.isOptional, decode: compile(ps.type) }]))
  const byTarget = new Map(transformation.propertySignatureTransformations.map((t) => [t.to, t]))
  const used = new Set<PropertyKey>()
  const targets = to.propertySignatures.map((ps) => {
    const t = byTarget.get(ps.name)
    const sourceName = t === undefined ? ps.name : t.from
    const source = sources.get(sourceName)
    if (source === undefined || used.has(sourceName)) throw new Unsupported()
    used.add(sourceName)
    return { name: ps.name, sourceName, source, transform: t, probed: t === undefined ? undefined : probe(t.decode) }
  })
  const unread = [...sources.entries()].filter(([name]) => !used.has(name))
  return (input) => {
    if (!isRecord(input)) return DECLINE
    const output: Record<PropertyKey, unknown> = {}
    for (let i = 0; i < targets.length; i++) {
      const { name, probed, source, sourceName, transform } = targets[i]
      if (source.optional && !hasOwn.call(input, sourceName)) {
        if (probed === undefined || probed.absent._tag === "None") continue
        if (probed.absent._tag === "Const") {
          output[name] = probed.absent.value
          continue
        }
        const o = transform!.decode(Option.none())
        if (Option.isSome(o)) output[name] = o.value
        continue
      }
      const value = source.decode(input[sourceName as string])
      if (value === DECLINE) return DECLINE
      if (probed === undefined || probed.passthrough) {
        output[name] = value
        continue
      }
      const o = transform!.decode(Option.some(value))
      if (Option.isSome(o)) output[name] = o.value
    }
    for (let i = 0; i < unread.length; i++) {
      const [name, source] = unread[i]
      if (source.optional && !hasOwn.call(input, name)) continue
      if (source.decode(input[name as string]) === DECLINE) return DECLINE
    }
    return output
  }
}

const compileNode = (ast: AST.AST): Compiled => {
  switch (ast._tag) {
    case "Literal": {
      const literal = ast.literal
      return (u) => (u === literal ? u : DECLINE)
    }
    case "StringKeyword":
      return (u) => (typeof u === "string" ? u : DECLINE)
    case "NumberKeyword":
      return (u) => (typeof u === "number" ? u : DECLINE)
    case "BooleanKeyword":
      return (u) => (typeof u === "boolean" ? u : DECLINE)
    case "UndefinedKeyword":
    case "VoidKeyword":
      return (u) => (u === undefined ? u : DECLINE)
    case "UnknownKeyword":
    case "AnyKeyword":
      return (u) => u
    case "Refinement": {
      const from = compile(ast.from)
      const filter = ast.filter
      return (u) => {
        const a = from(u)
        if (a === DECLINE) return DECLINE
        return Option.isNone(filter(a, parseOptions, ast)) ? a : DECLINE
      }
    }
    case "TupleType": {
      if (ast.elements.length > 0 || ast.rest.length !== 1) throw new Unsupported()
      const item = compile(ast.rest[0].type)
      return (u) => {
        if (!Array.isArray(u)) return DECLINE
        const out = new Array(u.length)
        for (let i = 0; i < u.length; i++) {
          const v = item(u[i])
          if (v === DECLINE) return DECLINE
          out[i] = v
        }
        return out
      }
    }
    case "TypeLiteral":
      return compileTypeLiteral(ast)
    case "Union":
      return compileUnion(ast)
    case "Transformation":
      return compileTransformation(ast)
    default:
      throw new Unsupported()
  }
}

const memo = new WeakMap<AST.AST, Compiled>()

/**
 * The compiled decoder of an AST node. Nodes it does not handle (declarations, suspensions,
 * symbols, templates, effectful transformations) are handed to the standard decoder as a whole.
 *
 * @since 0.1.0
 * @category compiling
 */
export const compile = (ast: AST.AST): Compiled => {
  const cached = memo.get(ast)
  if (cached) return cached
  let compiled: Compiled
  try {
    compiled = compileNode(ast)
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e
    const decode = ParseResult.decodeUnknownEither(Schema.make(ast))
    compiled = (u) => {
      const r = decode(u)
      return Either.isRight(r) ? r.right : DECLINE
    }
  }
  memo.set(ast, compiled)
  return compiled
}

/**
 * Decodes with the compiled path, falling back to `ParseResult.decodeUnknown` for anything it
 * declines, so results and errors are those of `Schema.decodeUnknown(schema)`. The result is an `Either`
 * (itself an `Effect`) on the compiled path.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeUnknown = <A, I>(schema: Schema.Schema<A, I>) => {
  const fast = compile(schema.ast)
  let standard: ((u: unknown) => Effect.Effect<A, ParseResult.ParseError>) | undefined
  return (input: unknown): Effect.Effect<A, ParseResult.ParseError> => {
    const out = fast(input)
    return out === DECLINE ? (standard ??= Schema.decodeUnknown(schema))(input) : Either.right(out as A)
  }
}
