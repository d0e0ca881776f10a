/**
 * Schemas built on first use.
 *
 * Every `Schema` value is a class, and building one is not free: the package defines some 450 of
 * them, and building them all at import was most of the time the package added to a program's
 * start (bench/README.md, "Decoder and lazy"). `lazy` hands out a stand-in that builds its schema
 * the first time anything reads it (`ast`, `fields`, `pipe`, `annotations`, ...) and forwards
 * every read to it from then on, so a program pays only for the schemas it uses, when it first
 * uses them. Each call site is marked `@__PURE__`, so a bundler drops the schemas a program never
 * reaches.
 *
 * The stand-in has the schema's own type, and reads, `in` checks, key listings, prototype lookups,
 * calls and `new` answer as the schema would: `Schema.isSchema`, decoding, `JSONSchema.make`,
 * `Run.fields`, `class X extends S` and `new S(...)` for a `Schema.Class` behave the same
 * (test/Lazy.test.ts, which also fails once the installed effect leaves the versions this was
 * checked against, `effectVersions.ts`). Schemas are immutable, so writes are not forwarded.
 * `util.inspect` (and so `console.log`) shows the stand-in rather than the class, as Node inspects
 * a proxy's target without its traps; `String(schema)` is unchanged.
 *
 * @internal
 */

type Thunk = () => object

// one handler for every stand-in. The target is the function that builds (once) and returns the
// schema: a function, so that `typeof` stays "function" as for the schema classes, and a bound
// one, because a bound function can be called with `new` (as a class can) yet has no own
// `prototype`, which a proxy would have to report exactly as its target's
const handler: ProxyHandler<Thunk> = {
  get: (target, key) => Reflect.get(target(), key),
  has: (target, key) => Reflect.has(target(), key),
  ownKeys: (target) => Reflect.ownKeys(target()),
  getOwnPropertyDescriptor: (target, key) => {
    const descriptor = Reflect.getOwnPropertyDescriptor(target(), key)
    // a proxy may not report as non-configurable a property its target lacks (a class's
    // `prototype`): configurable is the one answer the language allows
    return descriptor === undefined ? undefined : { ...descriptor, configurable: true }
  },
  getPrototypeOf: (target) => Reflect.getPrototypeOf(target()),
  apply: (target, self, args) => Reflect.apply(target() as (...args: Array<unknown>) => unknown, self, args),
  // `new S()` builds what `new` on the schema builds: the instance's prototype is read from
  // `new.target` (the stand-in, or a subclass of it), which answers with the schema's
  construct: (target, args, newTarget) =>
    Reflect.construct(target() as new(...args: Array<unknown>) => object, args, newTarget)
}

/**
 * A stand-in for the value `build` returns, built on first use. Call it as
 * `/* @__PURE__ *\/ lazy(() => ...)` at module level.
 *
 * @internal
 */
export const lazy = <S extends object>(build: () => S): S => {
  let built: S | undefined
  const target: Thunk = function() {
    return built ??= build()
  }.bind(undefined)
  return new Proxy<Thunk>(target, handler) as S
}
