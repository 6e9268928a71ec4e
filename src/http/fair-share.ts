// A fair share of the gateway's one thread. The rate limits bound how much each caller may send in a
// minute, but not how fast it spends it: fifty connections of one token can spend theirs in a burst,
// and every other client's request then waits behind theirs on the event loop. So each caller has at
// most `concurrency` requests in progress, and its others wait their turn in arrival order, their
// bodies unread, costing nothing. A caller with one request at a time (a function, a browser, a
// long-poll) never waits. It is the concurrent-requests limiter of Stripe's rate limiting, which queues
// here instead of refusing, so that a burst of well-meant parallel requests still succeeds.
//
// The caller is the credential (by digest) once a route that authenticates it has answered anything
// but 401 or 429; before that, and for every credential from an address whose authentication failed
// within `suspectMs`, it is the client address: thirty random tokens guessed at once are one caller,
// not thirty.
//
// Requests the gateway answers within the pass of the event loop that read them (a 401 from SQLite,
// a refusal, a cached token) never find their caller busy, so the gate also counts passes: a caller
// starts one request per pass, and turns pass on at the check phase, one per pass.
//
// A request gives its turn back when its answer is sent, or `turnMs` after it began while others
// wait and the event loop keeps time: by then it waits on something other than this thread (a
// provider, a long-poll, a PostgreSQL database), and holding its turn would only delay its caller's
// next request. A long-poll gives it back as soon as it is admitted to wait (`release`). Beyond
// `maxWaiting` waiting requests per caller, more are refused with 429 RATE_LIMITED (limit
// `concurrent`).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientAddress, credentialKey } from './edge-refusals.js';

export interface FairShareSettings {
  /** Requests of one caller in progress at once; 0 turns the gate off. */
  concurrency: number;
  /**
   * Requests that had to wait their turn, in progress at once over all callers (0 = no bound): the
   * callers sending in parallel take turns among themselves, while a caller with one request at a
   * time never waits behind them.
   */
  backloggedConcurrency: number;
  /** A request in progress this long no longer holds its caller's turn while others wait. */
  turnMs: number;
  /** Waiting requests per caller beyond which more are refused. */
  maxWaiting: number;
  /** How long an address whose authentication failed shares one turn among all its requests. */
  suspectMs: number;
  /** Honour X-Forwarded-For (LATCHKEY_TRUST_PROXY). */
  trustProxy: boolean;
  /**
   * Whether the request's route authenticates its credential: only such an answer says the
   * credential is valid (a health check answers 200 whatever token it carries).
   */
  authenticates(request: IncomingMessage): boolean;
  /** Refuses a request beyond `maxWaiting` (the 429, sent by the caller of the gate). */
  refuse(request: IncomingMessage, response: ServerResponse): void;
}

export interface FairShare {
  /** Runs `go` now, or when its caller's turn comes; refuses it when too many of the caller's wait. */
  admit(request: IncomingMessage, response: ServerResponse, go: () => void): void;
  /** The request now waits on something other than this thread (a long-poll): its turn ends now. */
  release(request: IncomingMessage): void;
}

interface Turn {
  began: number;
  timer?: NodeJS.Timeout;
  end: () => void;
}

interface Caller {
  running: Set<Turn>;
  /** Its waiting requests, in arrival order: each starts with `backlogged` true. */
  queue: Array<(backlogged: boolean) => void>;
}

/** More suspect addresses, or known credentials, than this and the oldest are forgotten. */
const MAX_REMEMBERED = 50_000;

/** Adds `key` to an insertion-ordered map, forgetting the oldest beyond MAX_REMEMBERED. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  if (map.size >= MAX_REMEMBERED) map.delete(map.keys().next().value!);
  map.set(key, value);
}

export function createFairShare(settings: FairShareSettings): FairShare {
  const callers = new Map<string, Caller>();
  const turns = new WeakMap<IncomingMessage, Turn>();
  // Credentials answered anything but 401 (known to be valid), and addresses with a recent 401 (until when).
  const known = new Map<string, true>();
  const suspects = new Map<string, number>();

  /** The caller's key, the request's credential digest and its address; undefined without a credential. */
  const callerOf = (request: IncomingMessage): { key: string; credential: string; address: string } | undefined => {
    const authorization = request.headers.authorization;
    if (!authorization) return undefined;
    const credential = credentialKey(authorization);
    const address = clientAddress(request.headers['x-forwarded-for'] as string | undefined, request.socket.remoteAddress, settings.trustProxy);
    const until = suspects.get(address);
    const suspect = until !== undefined && until > Date.now();
    if (until !== undefined && !suspect) suspects.delete(address);
    return { key: !suspect && known.has(credential) ? credential : `a:${address}`, credential, address };
  };

  /** Learns from the answer whether the credential is valid. */
  const learn = (request: IncomingMessage, response: ServerResponse, credential: string, address: string) => {
    if (response.statusCode === 401) {
      known.delete(credential);
      remember(suspects, address, Date.now() + settings.suspectMs);
    } else if (response.statusCode !== 429 && !known.has(credential) && settings.authenticates(request)) {
      remember(known, credential, true);
    }
  };

  /**
   * Gives the turns of requests in progress a deadline, now that someone waits for one. At the
   * deadline a turn ends only if the event loop kept time: a timer that fires late means this thread
   * is the bottleneck, and the request may well be one of those keeping it busy, so it keeps its turn
   * for another `turnMs`.
   */
  const armTurns = (caller: Caller) => {
    const now = performance.now();
    for (const turn of caller.running) {
      if (turn.timer) continue;
      let due = Math.max(now, turn.began + settings.turnMs);
      const expire = () => {
        const late = performance.now() - due;
        if (late <= settings.turnMs) return turn.end();
        due = performance.now() + settings.turnMs;
        turn.timer = setTimeout(expire, settings.turnMs);
        turn.timer.unref();
      };
      turn.timer = setTimeout(expire, due - now);
      turn.timer.unref();
    }
  };

  // Callers with waiting requests take the backlogged turns in rotation: a caller whose request
  // ends goes to the back of this queue if it has more waiting.
  let backloggedRunning = 0;
  const rotation: string[] = [];
  const inRotation = new Set<string>();

  // A pass of the event loop ends at its check phase, and the gate acts there. Turns pass on there,
  // one pass per loop, never inside the callbacks of the request that ended: a waiting request's body
  // has often arrived already, and admitting it there would run the whole backlog back to back
  // without the loop polling once, so a request from anyone else that arrived meanwhile would wait
  // for all of it (sixty guessed tokens: 60–110 ms). And the callers that began a request in the pass
  // are forgotten there: until then a caller's next request waits its turn even when its last one
  // has ended, since the gateway often answers within the pass (a refusal, SQLite, a cache) and
  // thirty connections' requests read in one poll would otherwise each find their caller idle.
  const startedThisPass = new Set<string>();
  let passEnd: NodeJS.Immediate | undefined;
  const endPass = () => {
    passEnd = undefined;
    const bound = settings.backloggedConcurrency;
    // Only the callers in the rotation when this pass began: one back in it already (its request
    // ended at once) goes at the next pass.
    for (let pending = rotation.length; pending > 0 && (bound <= 0 || backloggedRunning < bound); pending -= 1) {
      const key = rotation.shift()!;
      inRotation.delete(key);
      const caller = callers.get(key);
      if (!caller || caller.queue.length === 0 || caller.running.size >= settings.concurrency) continue;
      caller.queue.shift()!(true);
    }
    startedThisPass.clear();
  };
  const endPassSoon = () => {
    passEnd ??= setImmediate(endPass);
  };
  const startBacklogged = () => {
    if (rotation.length > 0) endPassSoon();
  };
  const noteStart = (key: string) => {
    startedThisPass.add(key);
    endPassSoon();
  };

  const next = (key: string, caller: Caller) => {
    if (caller.queue.length > 0 && caller.running.size < settings.concurrency && !inRotation.has(key)) {
      inRotation.add(key);
      rotation.push(key);
    }
    if (caller.queue.length > 0) armTurns(caller);
    else if (caller.running.size === 0) callers.delete(key);
    startBacklogged();
  };

  const start = (key: string, caller: Caller, request: IncomingMessage, response: ServerResponse, go: () => void, backlogged: boolean) => {
    if (backlogged) backloggedRunning += 1;
    const turn: Turn = {
      began: performance.now(),
      end: () => {
        if (!caller.running.delete(turn)) return;
        clearTimeout(turn.timer);
        if (backlogged) backloggedRunning -= 1;
        next(key, caller);
      },
    };
    caller.running.add(turn);
    noteStart(key);
    turns.set(request, turn);
    // A backlogged turn is one of the few shared by every caller with a backlog: it always has a deadline.
    if (backlogged || caller.queue.length > 0) armTurns(caller);
    response.once('close', turn.end);
    go();
  };

  return {
    admit(request, response, go) {
      const found = settings.concurrency > 0 ? callerOf(request) : undefined;
      if (!found) return go();
      const { key, credential, address } = found;
      response.once('finish', () => learn(request, response, credential, address));
      let caller = callers.get(key);
      if (!caller) {
        caller = { running: new Set(), queue: [] };
        callers.set(key, caller);
      }
      if (caller.running.size < settings.concurrency && caller.queue.length === 0 && !startedThisPass.has(key)) {
        return start(key, caller, request, response, go, false);
      }
      if (caller.queue.length >= settings.maxWaiting) return settings.refuse(request, response);
      const owner = caller;
      const waiter = (backlogged: boolean) => start(key, owner, request, response, go, backlogged);
      caller.queue.push(waiter);
      // Into the rotation at once when the caller has room (it only began a request in this pass).
      next(key, caller);
      // A client that hangs up while it waits leaves the queue.
      response.once('close', () => {
        const index = owner.queue.indexOf(waiter);
        if (index < 0) return;
        owner.queue.splice(index, 1);
        if (owner.queue.length === 0 && owner.running.size === 0) callers.delete(key);
      });
    },

    release(request) {
      turns.get(request)?.end();
    },
  };
}
