/**
 * A faster decoding path for response schemas, with the same results, and its mirror for
 * encoding.
 *
 * `compile` walks a schema's AST (the public `effect/SchemaAST` model) once and generates a
 * function for each struct, array and union in it: plain checks for keywords and literals written
 * inline, the schema's own refinement predicates, key renames and defaults from its
 * property-signature transformations, and union members tried in the order effect's `ParseResult`
 * tries them. Every field is still validated. The generated source is built from the schema alone
 * (property names and literals, each written as a JSON literal); no response data ever reaches it.
 *
 * The compiled function only ever says "valid, here is the value" or "not sure". On "not sure"
 * the standard `ParseResult` decoder runs, so errors (and any input the compiled path declines,
 * such as AST nodes it does not handle) come out exactly as before. Where code generation is
 * forbidden (a content security policy), the standard decoder decodes everything.
 *
 * Encoding (`encodeSync`) compiles the same way in the other direction: a struct reads its keys
 * by their type-side names and writes them under their wire names, union members are filed
 * under their type-side literals, as `ParseResult`'s encoder files them. The server encodes
 * every object it sends with it.
 *
 * Why it exists: the standard interpreter validates the type side of every renaming struct again
 * after decoding its wire side, at every level of nesting, and allocates an issue for every union
 * member it tries and rejects. For the list pages the client decodes, that costs several times the
 * rest of a call; bench/README.md ("Decoder and lazy") has the measurements behind keeping this
 * module. It reads only the public AST, but it relies on how `ParseResult` interprets it (which
 * union member wins, what a property-signature transformation does): `test/Decoder.test.ts`
 * checks that both paths agree on generated valid and damaged bodies, and fails when the installed
 * effect leaves the versions it was checked against (`internal/effectVersions.ts`).
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

class Unsupported extends Error {}

/**
 * Builds a function from JavaScript source, handing it `deps` by name. Generated code reads and
 * writes properties by their literal names, so each access site sees one shape and stays fast.
 */
const generate = (deps: Record<string, unknown>, body: string): Compiled => {
  if (!canGenerate) throw new Unsupported()
  try {
    return new Function(...Object.keys(deps), body)(...Object.values(deps))
  } catch (e) {
    // a content security policy (Cloudflare Workers, some browsers) forbids code from strings:
    // the standard decoder then decodes everything, with the same results
    if (!(e instanceof EvalError)) throw e
    canGenerate = false
    throw new Unsupported()
  }
}

let canGenerate = true

/** A property name as a JavaScript string literal; names the generator would mishandle are refused. */
const key = (name: PropertyKey): string => {
  if (typeof name !== "string" || name === "__proto__") throw new Unsupported()
  return JSON.stringify(name)
}

/** A literal as a JavaScript expression (`Infinity`, `NaN` and `1n` are JavaScript too). */
const literalSource = (literal: AST.LiteralValue): string =>
  typeof literal === "string" ? JSON.stringify(literal) : typeof literal === "bigint" ? `${literal}n` : String(literal)

/** A check of local `v` against `ast` as an expression with no call, or `undefined`. */
const inlineCheck = (ast: AST.AST, v: string): string | undefined => {
  switch (ast._tag) {
    case "StringKeyword":
    case "NumberKeyword":
    case "BooleanKeyword":
      return `typeof ${v}=="${ast._tag.slice(0, -7).toLowerCase()}"`
    case "UndefinedKeyword":
    case "VoidKeyword":
      return `${v}===void 0`
    case "UnknownKeyword":
    case "AnyKeyword":
      return "1"
    case "Literal":
      return `${v}===${literalSource(ast.literal)}`
    case "Union": {
      // a union of such members (an enum, a nullable string) keeps its input unchanged
      const checks = ast.types.map((member) => inlineCheck(member, v))
      return checks.every((c) => c !== undefined) ? `(${checks.join("||")})` : undefined
    }
  }
  return undefined
}

/**
 * What generated code is handed: `D`, `H` (`hasOwnProperty`), and each compiled decoder or
 * constant under a name of its own. `encoding` is the direction of the function being built.
 */
class Deps {
  readonly deps: Record<string, unknown> = { D: DECLINE, H: hasOwn }
  constructor(readonly encoding: boolean) {}
  add(value: unknown): string {
    const name = `d${Object.keys(this.deps).length}`
    this.deps[name] = value
    return name
  }
  /** Statements that decode (or encode) local `v` as `ast` in place, or leave with `DECLINE`. */
  decode(ast: AST.AST, v: string): string {
    const check = inlineCheck(ast, v)
    if (check !== undefined) return `if(!(${check}))return D;`
    return `${v}=${this.add(compileIn(ast, this.encoding))}(${v});if(${v}===D)return D;`
  }
  /** A statement that leaves with `DECLINE` unless local `v` decodes as `ast`; `v` is left as it is. */
  check(ast: AST.AST, v: string): string {
    const check = inlineCheck(ast, v)
    return check !== undefined
      ? `if(!(${check}))return D;`
      : `if(${this.add(compileIn(ast, false))}(${v})===D)return D;`
  }
  /** Builds the function whose body is `lines`, over its argument `x`. */
  build(lines: ReadonlyArray<string>): Compiled {
    return generate(this.deps, `return function(x){${lines.join("")}}`)
  }
}

/** A key renamed or defaulted on the way from `input` to `output`, by `f`. */
interface Rename {
  readonly from: PropertyKey
  readonly to: PropertyKey
  readonly f: (o: Option.Option<any>) => Option.Option<any>
}

/**
 * A struct in one function: each key of `ast` is read by its source name (`from`'s, when the
 * struct renames or defaults keys through `renames`), checked, and written in the order the
 * standard decoder leaves it. Index signatures (string keys only) are checked on every key and
 * copied where no property took the key. Each value is decoded (or encoded) as its wire-side
 * property says: `from`'s when decoding, `ast`'s when encoding.
 */
const compileStruct = (
  ast: AST.TypeLiteral,
  encoding: boolean,
  from: AST.TypeLiteral = ast,
  renames: ReadonlyArray<Rename> = []
): Compiled => {
  const sources = new Map(from.propertySignatures.map((ps) => [ps.name, ps]))
  const byTarget = new Map(renames.map((t) => [t.to, t]))
  const deps = new Deps(encoding)
  const lines = [`if(typeof x!="object"||x===null||Array.isArray(x))return D;`]
  // whether each key may be absent; for those, `p${i}` says whether it is in the output
  const optional: Array<boolean> = []
  ast.propertySignatures.forEach((ps, i) => {
    const t = byTarget.get(ps.name)
    const source = sources.get(t === undefined ? ps.name : t.from)
    if (source === undefined || !sources.delete(source.name)) throw new Unsupported()
    const v = `v${i}`
    const k = key(source.name)
    // encoding, a key the type side requires but the wire may omit (a default) is checked on the
    // type side first, as `ParseResult` checks it: its wire type may accept what the type does not
    const typeSide = encoding && source.isOptional !== ps.isOptional ? deps.check(source.type, v) : ""
    const decode = `${v}=x[${k}];${typeSide}${deps.decode((encoding ? ps : source).type, v)}`
    // a transformation is probed once (it is pure). A rename passes a present value through and
    // leaves an absent one absent; a default or a `null` fills in an absent one. Any other kind
    // is left to the standard decoder.
    const sentinel = {}
    const some = t?.f(Option.some(sentinel))
    if (some !== undefined && !(Option.isSome(some) && some.value === sentinel)) throw new Unsupported()
    optional.push(source.isOptional)
    if (!source.isOptional) {
      lines.push(`let ${v};${decode}`)
    } else {
      lines.push(`let ${v},p${i}=H.call(x,${k});if(p${i}){${decode}}`)
      if (t !== undefined && Option.isSome(t.f(Option.none()))) {
        lines.push(
          `else{const o=${deps.add(t.f)}(${deps.add(Option.none())});p${i}=o._tag=="Some";if(p${i})${v}=o.value}`
        )
      }
    }
  })
  // a source key no property reads would still need checking: left to the standard decoder
  if (sources.size > 0) throw new Unsupported()
  // the keys always present come first in one literal, so the object is built at its final shape
  const names = ast.propertySignatures.map((ps) => key(ps.name))
  let literal = optional.indexOf(true)
  if (literal < 0) literal = names.length
  lines.push(`const o={${names.slice(0, literal).map((name, i) => `${name}:v${i}`).join(",")}};`)
  for (let i = literal; i < names.length; i++) lines.push(`${optional[i] ? `if(p${i})` : ""}o[${names[i]}]=v${i};`)
  for (const is of ast.indexSignatures) {
    if (AST.encodedAST(is.parameter)._tag !== "StringKeyword") throw new Unsupported()
    const taken = deps.add(new Set(ast.propertySignatures.map((ps) => ps.name)))
    // an own key named `__proto__` (`JSON.parse` makes one) would set the output's prototype if
    // written here: left to the standard path, as `key` leaves such property names. Checked once
    // per object, not per key
    lines.push(
      `if(H.call(x,"__proto__"))return D;`,
      `for(const k of Object.keys(x)){let v=x[k];${deps.decode(is.type, "v")}if(!${taken}.has(k))o[k]=v}`
    )
  }
  lines.push(`return o`)
  return deps.build(lines)
}

const compileArray = (item: AST.AST, encoding: boolean): Compiled => {
  const deps = new Deps(encoding)
  return deps.build([
    `if(!Array.isArray(x))return D;`,
    `const n=x.length,o=new Array(n);`,
    `for(let i=0;i<n;i++){let v=x[i];${deps.decode(item, "v")}o[i]=v}`,
    `return o`
  ])
}

/**
 * The literal a union member requires at `key` on its input side (the wire when decoding, the
 * type when encoding): the `[key, literal]` pairs of its required properties whose type on that
 * side is a literal. These are the properties `ParseResult` files union members under.
 */
const requiredLiterals = (ast: AST.AST, encoding: boolean): ReadonlyArray<readonly [string, AST.LiteralValue]> => {
  const side = encoding ? AST.typeAST : AST.encodedAST
  switch (ast._tag) {
    case "TypeLiteral": {
      const out: Array<readonly [string, AST.LiteralValue]> = []
      for (const ps of ast.propertySignatures) {
        const type = side(ps.type)
        if (AST.isLiteral(type) && !ps.isOptional) out.push([key(ps.name), type.literal])
      }
      return out
    }
    case "Refinement":
      return requiredLiterals(ast.from, encoding)
    case "Transformation":
      return requiredLiterals(encoding ? ast.to : ast.from, encoding)
    case "TupleType":
      // a member filed by a literal element: left to the standard decoder
      if (ast.elements.some((e) => !e.isOptional && AST.isLiteral(side(e.type)))) throw new Unsupported()
      return []
    case "Suspend":
    case "Declaration":
      // members `ParseResult` may file by what they stand for: left to the standard decoder
      throw new Unsupported()
  }
  return []
}

/**
 * A union. `ParseResult` tries first the members whose required literal at the discriminating
 * key equals the input's (in declaration order), then the members with no such literal (in
 * declaration order), and the first that accepts wins; members whose literal differs cannot
 * accept. This tries them in that order. Unions discriminated by more than one key, where the
 * standard order depends on how members share keys, are left to the standard decoder.
 */
const compileUnion = (ast: AST.Union, encoding: boolean): Compiled => {
  const deps = new Deps(encoding)
  let discriminant: string | undefined
  const keyed: Array<string> = []
  const otherwise: Array<string> = []
  for (const member of ast.types) {
    const literals = requiredLiterals(member, encoding)
    const attempt = `{const o=${deps.add(compileIn(member, encoding))}(x);if(o!==D)return o}`
    if (literals.length === 0) {
      otherwise.push(attempt)
    } else if (literals.length > 1 || (discriminant ??= literals[0][0]) !== literals[0][0]) {
      throw new Unsupported()
    } else {
      keyed.push(`if(k===${literalSource(literals[0][1])})${attempt}`)
    }
  }
  // `D` as the key's value when it is absent: no literal equals it
  const lines = discriminant === undefined ? [] : [
    `const k=typeof x=="object"&&x!==null&&H.call(x,${discriminant})?x[${discriminant}]:D;`,
    ...keyed
  ]
  return deps.build([...lines, ...otherwise, `return D`])
}

const compileNode = (ast: AST.AST, encoding: boolean): Compiled => {
  const check = inlineCheck(ast, "x")
  if (check !== undefined) return new Deps(encoding).build([`return ${check}?x:D`])
  switch (ast._tag) {
    case "Refinement": {
      // encoding checks the type side, refinement included, then encodes `from`: the same as
      // decoding where nothing under it transforms (its encoded side is itself); the other case
      // is left to the standard path
      if (encoding) {
        if (AST.encodedBoundAST(ast.from) !== ast.from) throw new Unsupported()
        return compileIn(ast, false)
      }
      const from = compile(ast.from)
      const filter = ast.filter
      return (u) => {
        const a = from(u)
        if (a === DECLINE) return DECLINE
        return Option.isNone(filter(a, parseOptions, ast)) ? a : DECLINE
      }
    }
    case "TupleType":
      if (ast.elements.length > 0 || ast.rest.length !== 1) throw new Unsupported()
      return compileArray(ast.rest[0].type, encoding)
    case "TypeLiteral":
      return compileStruct(ast, encoding)
    case "Union":
      return compileUnion(ast, encoding)
    case "Transformation": {
      // renamed and defaulted keys; other transformations (such as the one keeping an unknown
      // member's raw JSON) are left to the standard decoder
      if (
        ast.transformation._tag !== "TypeLiteralTransformation" || !AST.isTypeLiteral(ast.from) ||
        !AST.isTypeLiteral(ast.to) || ast.from.indexSignatures.length > 0
      ) throw new Unsupported()
      const renames = ast.transformation.propertySignatureTransformations
      // encoding runs the same renames backwards: from the type side's keys to the wire's
      return encoding
        ? compileStruct(ast.from, true, ast.to, renames.map((t) => ({ from: t.to, to: t.from, f: t.encode })))
        : compileStruct(ast.to, false, ast.from, renames.map((t) => ({ from: t.from, to: t.to, f: t.decode })))
    }
    default:
      throw new Unsupported()
  }
}

const memo = [new WeakMap<AST.AST, Compiled>(), new WeakMap<AST.AST, Compiled>()] as const
const standardOnly = [new WeakSet<AST.AST>(), new WeakSet<AST.AST>()] as const

const compileIn = (ast: AST.AST, encoding: boolean): Compiled => {
  const direction = encoding ? 1 : 0
  const cached = memo[direction].get(ast)
  if (cached) return cached
  let compiled: Compiled
  try {
    compiled = compileNode(ast, encoding)
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e
    standardOnly[direction].add(ast)
    const standard = (encoding ? ParseResult.encodeUnknownEither : ParseResult.decodeUnknownEither)(Schema.make(ast))
    compiled = (u) => {
      const r = standard(u)
      return Either.isRight(r) ? r.right : DECLINE
    }
  }
  memo[direction].set(ast, compiled)
  return compiled
}

/**
 * The compiled decoder of an AST node. Nodes it does not handle (declarations, suspensions,
 * symbols, templates, effectful transformations) are handed to the standard decoder as a whole.
 *
 * @since 0.1.0
 * @category compiling
 */
export const compile = (ast: AST.AST): Compiled => compileIn(ast, false)

/**
 * The compiled encoder of an AST node: from a value of the type side to the wire, checking
 * everything `ParseResult`'s encoder checks, and handing what it does not handle to that
 * encoder, as `compile` does for decoding.
 *
 * @since 0.1.0
 * @category compiling
 */
export const compileEncoder = (ast: AST.AST): Compiled => compileIn(ast, true)

/**
 * Whether this node is decoded (or encoded) on the compiled path rather than handed whole to the
 * standard one.
 *
 * @internal
 */
export const isGenerated = (ast: AST.AST, encoding = false): boolean => {
  compileIn(ast, encoding)
  return !standardOnly[encoding ? 1 : 0].has(ast)
}

/**
 * The nodes under `ast` (itself included) that its compiled decoder (or encoder) hands to the
 * standard one: what the compiled path does not speed up.
 *
 * @internal
 */
export const leftToStandard = (ast: AST.AST, encoding = false): Array<AST.AST> => {
  compileIn(ast, encoding)
  const out: Array<AST.AST> = []
  const seen = new Set<AST.AST>()
  const walk = (node: AST.AST): void => {
    if (seen.has(node)) return
    seen.add(node)
    if (standardOnly[encoding ? 1 : 0].has(node)) {
      out.push(node)
      return
    }
    switch (node._tag) {
      case "TypeLiteral":
        node.propertySignatures.forEach((ps) => walk(ps.type))
        node.indexSignatures.forEach((is) => walk(is.type))
        return
      case "Union":
        return node.types.forEach(walk)
      case "TupleType":
        node.elements.forEach((e) => walk(e.type))
        return node.rest.forEach((r) => walk(r.type))
      case "Refinement":
        return walk(node.from)
      case "Transformation":
        // a compiled struct reads its keys' types on the wire side
        return walk(node.from)
    }
  }
  walk(ast)
  return out
}

/**
 * Encodes with the compiled path, falling back to `Schema.encodeSync` for anything it declines,
 * so results and errors (thrown) are those of `Schema.encodeSync(schema)`.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeSync = <A, I>(schema: Schema.Schema<A, I>) => {
  const fast = compileEncoder(schema.ast)
  let standard: ((a: A) => I) | undefined
  return (value: A): I => {
    const out = fast(value)
    return out === DECLINE ? (standard ??= Schema.encodeSync(schema))(value) : out as I
  }
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
