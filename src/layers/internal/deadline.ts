/**
 * The per-attempt deadline, and the abort that interruption and the deadline share.
 *
 * Each attempt sends through `HttpClient.withScope`: the platform hands the transport the signal
 * of a controller that it aborts when the attempt's `Scope` closes. That scope is closed when the
 * attempt fails, is interrupted, or outlives its deadline, so each of the three aborts the request
 * (and closes its connection). A transport that ignores its `AbortSignal` cannot be cut short by
 * a deadline; interrupting the caller still stops it.
 *
 * Deadlines are kept by a watchdog: one fiber per `Clock` and per limit, sleeping on that clock
 * until the earliest pending deadline. With one limit, deadlines arrive in the order they fall
 * due, so a queue is enough. The watchdog is forked when it has nothing to watch and a deadline
 * arrives, and interrupted once nothing is pending, so that no timer outlives the calls and a
 * program exits when its work is done. `Effect.timeoutFail` would fork two fibers for every
 * attempt; a fiber per attempt costs more than the rest of a read's request path
 * (bench/README.md). Under a `TestClock` the watchdog sleeps on it: tests and production take the
 * same path.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import * as Scope from "effect/Scope"

interface Timer {
  readonly watchdog: Watchdog
  readonly deadline: number
  readonly scope: Scope.CloseableScope
  /** The attempt ended or the deadline passed: nothing left to watch. */
  done: boolean
  /** The deadline passed first. */
  fired: boolean
}

class Watchdog {
  /** Pending timers from `head` on, in the order they fall due, mixed with settled ones. */
  timers: Array<Timer> = []
  head = 0
  pending = 0
  /** Bumped whenever the watching fiber stops, so that a stale one ends at its next step. */
  generation = 0
  running = false
  /** A stop is due at the next turn of the event loop. */
  stopping = false
  fiber: Fiber.RuntimeFiber<void> | undefined = undefined
  constructor(readonly clock: Clock.Clock, readonly millis: number) {}
}

const watchdogs = new WeakMap<Clock.Clock, Map<number, Watchdog>>()

const watchdogFor = (clock: Clock.Clock, millis: number): Watchdog => {
  let byLimit = watchdogs.get(clock)
  if (byLimit === undefined) watchdogs.set(clock, byLimit = new Map())
  let watchdog = byLimit.get(millis)
  if (watchdog === undefined) byLimit.set(millis, watchdog = new Watchdog(clock, millis))
  return watchdog
}

/**
 * Nothing is pending: the watching fiber stops and the queue starts afresh, a turn of the event
 * loop later, unless a deadline has arrived by then. Calls made one after another (the next one
 * starts as the last one ends, within the same turn) keep one fiber rather than forking one each;
 * a program whose work is done still exits at once.
 */
const idle = (watchdog: Watchdog): void => {
  if (watchdog.stopping) return
  watchdog.stopping = true
  setTimeout(() => {
    watchdog.stopping = false
    if (watchdog.pending === 0) stop(watchdog)
  }, 0)
}

const stop = (watchdog: Watchdog): void => {
  watchdog.generation++
  watchdog.running = false
  watchdog.timers = []
  watchdog.head = 0
  const fiber = watchdog.fiber
  watchdog.fiber = undefined
  if (fiber !== undefined) fiber.unsafeInterruptAsFork(FiberId.none)
}

/** The watching fiber ends by itself: the next deadline forks another. */
const rest = (watchdog: Watchdog): void => {
  watchdog.generation++
  watchdog.running = false
  watchdog.fiber = undefined
  watchdog.timers = []
  watchdog.head = 0
}

const watch = (watchdog: Watchdog, generation: number): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (watchdog.generation !== generation) return Effect.void
    const timers = watchdog.timers
    while (watchdog.head < timers.length && timers[watchdog.head].done) watchdog.head++
    if (watchdog.head === timers.length) {
      // nothing pending (every deadline it passed has settled): this fiber ends, and the next
      // deadline starts another
      rest(watchdog)
      return Effect.void
    }
    const next = timers[watchdog.head]
    const wait = next.deadline - watchdog.clock.unsafeCurrentTimeMillis()
    if (wait > 0) return Effect.zipRight(watchdog.clock.sleep(Duration.millis(wait)), watch(watchdog, generation))
    watchdog.head++
    next.done = true
    next.fired = true
    const close = Scope.close(next.scope, Exit.void)
    if (--watchdog.pending === 0) {
      // the fiber running this is done: let the next deadline start another
      rest(watchdog)
      return close
    }
    return Effect.zipRight(close, watch(watchdog, generation))
  })

const register = (
  clock: Clock.Clock,
  millis: number,
  scope: Scope.CloseableScope
): Timer | Effect.Effect<Timer> => {
  const watchdog = watchdogFor(clock, millis)
  const timer: Timer = {
    watchdog,
    deadline: clock.unsafeCurrentTimeMillis() + millis,
    scope,
    done: false,
    fired: false
  }
  watchdog.timers.push(timer)
  watchdog.pending++
  if (watchdog.running) return timer
  watchdog.running = true
  const generation = watchdog.generation
  // interruptible: it is forked from the attempt's uninterruptible set-up, and `stop` interrupts it
  return Effect.map(Effect.forkDaemon(Effect.interruptible(watch(watchdog, generation))), (fiber) => {
    if (watchdog.generation === generation) watchdog.fiber = fiber
    else fiber.unsafeInterruptAsFork(FiberId.none)
    return timer
  })
}

const settle = (timer: Timer): void => {
  if (timer.done) return
  timer.done = true
  const watchdog = timer.watchdog
  if (--watchdog.pending === 0) {
    // every timer has settled: none is worth keeping (the watching fiber reads the queue afresh)
    watchdog.timers = []
    watchdog.head = 0
    return idle(watchdog)
  }
  const timers = watchdog.timers
  while (watchdog.head < timers.length && timers[watchdog.head].done) watchdog.head++
  if (
    watchdog.head >= 1024 && 2 * watchdog.head >= timers.length ||
    timers.length - watchdog.head > 4 * watchdog.pending + 1024
  ) {
    // while calls overlap, nothing may be pending for a long time: the timers passed are dropped
    // as they pile up (each holds its attempt's scope), not when the calls stop; and a slow
    // attempt at the head keeps settled timers behind it, dropped now and then too
    watchdog.timers = timers.slice(watchdog.head).filter((t) => !t.done)
    watchdog.head = 0
  }
}

/**
 * How many timers the watchdog of `clock` and `millis` holds, settled or not: what the tests
 * check stays bounded.
 *
 * @internal
 */
export const queued = (clock: Clock.Clock, millis: number): number =>
  watchdogs.get(clock)?.get(millis)?.timers.length ?? 0

/**
 * Fiber refs an attempt runs with, each with its value (as `Effect.locally` would set them).
 *
 * @internal
 */
export type Locals = ReadonlyArray<readonly [FiberRef.FiberRef<any>, unknown]>

const noLocals: Locals = []

/**
 * Runs `attempt` with a `Scope` of its own (a child of `parent` where given) that an
 * `HttpClient.withScope` client ties its request to, and with `locals` set. The scope is closed,
 * aborting the request, when the attempt fails or is interrupted, or when `limit` passes first:
 * the attempt then fails with `onTimeout()`. On success the scope is left open: a response whose
 * body was read has nothing left to abort, and one returned unread (a stream) lives until
 * `parent` closes.
 *
 * The scope and `locals` are set in one update of the fiber's refs and put back in one more,
 * in the handlers that end the attempt whatever its outcome: the same as providing the scope and
 * an `Effect.locally` per ref, in fewer steps of the fiber.
 *
 * A limit past what a timer can wait (2^31 - 1 ms, 24.8 days) is as good as none for one HTTP
 * attempt.
 *
 * @internal
 */
export const withDeadline = <A, E, E2>(
  attempt: Effect.Effect<A, E, Scope.Scope>,
  limit: Duration.Duration,
  onTimeout: () => E2,
  parent?: Scope.Scope,
  locals: Locals = noLocals
): Effect.Effect<A, E | E2> => {
  const millis = Duration.toMillis(limit)
  const timed = millis <= 2147483647
  return Effect.flatMap(
    parent === undefined ? Scope.make() : Scope.fork(parent, ExecutionStrategy.sequential),
    (scope) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.withFiberRuntime<A, E | E2>((fiber) => {
          const context = fiber.currentContext
          const putBack = update([
            [FiberRef.currentContext, context],
            ...locals.map(([ref]) => [ref, fiber.getFiberRef(ref)] as const)
          ])
          const run = (timer: Timer | undefined) =>
            // the attempt's `Scope` is in the context the update below sets
            Effect.matchCauseEffect(restore(attempt as Effect.Effect<A, E>), {
              onSuccess: (a) => {
                if (timer !== undefined) settle(timer)
                return Effect.as(putBack, a)
              },
              onFailure: (cause): Effect.Effect<never, E | E2> => {
                const fired = timer !== undefined && timer.fired
                if (timer !== undefined) settle(timer)
                const failure: Effect.Effect<never, E | E2> = fired && !Cause.isInterruptedOnly(cause)
                  ? Effect.fail(onTimeout())
                  : Effect.failCause(cause)
                return Effect.zipRight(Effect.zipRight(putBack, Scope.close(scope, Exit.failCause(cause))), failure)
              }
            })
          const timer = timed
            ? register(Context.get(fiber.currentDefaultServices, Clock.Clock), millis, scope)
            : undefined
          return Effect.zipRight(
            update([[FiberRef.currentContext, Context.add(context, Scope.Scope, scope)], ...locals]),
            Effect.isEffect(timer) ? Effect.flatMap(timer, run) : run(timer)
          )
        })
      )
  )
}

/** Sets each ref to its value, in one update of the fiber's refs. */
const update = (locals: Locals) =>
  Effect.updateFiberRefs((id, refs) =>
    FiberRefs.updateManyAs(refs, { entries: locals.map(([ref, value]) => [ref, [[id, value]]]) as unknown as NonEmpty })
  )

type NonEmpty = [
  readonly [FiberRef.FiberRef<any>, readonly [readonly [FiberId.Single, unknown]]],
  ...Array<readonly [FiberRef.FiberRef<any>, readonly [readonly [FiberId.Single, unknown]]]>
]
