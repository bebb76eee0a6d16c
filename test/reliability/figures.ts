/**
 * What every reliability case hands back: figures, each against its target and met or not, plus the
 * per-run rows behind them. The short tests in `npm test` assert `met` of the correctness figures; the
 * bench (bench/reliability.bench.ts) writes them all, timings included, to JSON and Markdown.
 */

import type { Ask } from "../fixtures/maspo-processes.js";

export interface Figure {
  /** What is counted, e.g. "tasks lost". */
  name: string;
  value: number;
  /** The target as a reader sees it, e.g. "0" or "≤ 3 (in flight at the kill)". */
  target: string;
  met: boolean;
  /** Timings (stalled seconds) are reported by the bench only: tests never assert them. */
  timing?: boolean;
  /** Why the target is what it is, or what the value means. */
  note?: string;
}

export interface CaseResult {
  /** Stable id, e.g. "worker-kill". */
  id: string;
  title: string;
  /** Repetitions measured (runs, inputs or clients). */
  repeats: number;
  figures: Figure[];
  /** One row per repetition: what happened, for the Markdown detail and for failure messages. */
  rows: Record<string, string | number | boolean>[];
  /** Set when the case could not be measured on this tree (and why): reported, never counted as met. */
  notRun?: string;
  /** How long the case took, in seconds. */
  seconds?: number;
}

/** value must be 0. */
export function zero(name: string, value: number, note?: string): Figure {
  return { name, value, target: "0", met: value === 0, ...(note !== undefined ? { note } : {}) };
}

/** value must be at most bound (whose meaning `boundText` states). */
export function atMost(name: string, value: number, bound: number, boundText: string, note?: string): Figure {
  return { name, value, target: `≤ ${bound} (${boundText})`, met: value <= bound, ...(note !== undefined ? { note } : {}) };
}

/** A timing, reported against a bound but never asserted by a test. */
export function timing(name: string, value: number, bound: number, note?: string): Figure {
  return { name, value, target: `≤ ${bound}`, met: value <= bound, timing: true, ...(note !== undefined ? { note } : {}) };
}

/** The figures a test asserts: every one that is not a timing. */
export function unmetCorrectness(result: CaseResult): Figure[] {
  return result.figures.filter((f) => !f.timing && !f.met);
}

/** A case that cannot be measured on this tree: no figures, the reason kept. */
export function notRun(id: string, title: string, reason: string): CaseResult {
  return { id, title, repeats: 0, figures: [], rows: [], notRun: reason };
}

/** Rows as a compact text for failure messages. */
export function describeRows(result: CaseResult): string {
  return result.rows.map((r) => JSON.stringify(r)).join("\n");
}

/** A seeded generator for the random moments and victims (mulberry32): a bench run can be replayed by its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sum over request bodies of (times asked − 1): LLM calls the endpoint answered more than once. */
export function repeatedCalls(requests: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const count of requests.values()) if (count > 1) n += count - 1;
  return n;
}

/** The killed process's client ports, and how long an ask from one of them counts as its. */
export interface Victim {
  ports: ReadonlySet<number>;
  /**
   * Asks from those ports count as the victim's only until then (ms since the epoch): a request in
   * transit arrives within moments of the kill, while a port Linux hands out again later (loopback
   * reuses them soon) belongs to a live process. The ack wait after the kill is ample.
   */
  until: number;
}

/**
 * Repeats split by a kill at `killedAt`. A body was in flight at the kill — and asked again by its
 * task's redelivery — when it was first asked before the kill and again after, or its ask was
 * abandoned by its client, or the killed process asked it (its request may reach the endpoint after
 * the kill and be answered into a socket nobody reads) and it was asked again after the kill. One
 * such repeat per body is the kill's; every other repeat is not, and each is described in `others`.
 */
export function repeatsAroundKill(
  asks: ReadonlyMap<string, readonly Ask[]>,
  killedAt: number,
  abandoned: ReadonlySet<string> = new Set(),
  victim?: Victim,
): { inFlight: number; other: number; others: string[]; sentBeforeKillArrivedAfter: number } {
  let inFlight = 0;
  let other = 0;
  // Excused only because the victim's connection asked it: a request in transit at the kill.
  let sentBeforeKillArrivedAfter = 0;
  const others: string[] = [];
  for (const [body, list] of asks) {
    if (list.length < 2) continue;
    const victimAsked = list.some((a) => a.port !== undefined && victim !== undefined && victim.ports.has(a.port) && a.at <= victim.until);
    const askedAfter = list.some((a) => a.at >= killedAt);
    const byTime = (list[0]?.at ?? 0) < killedAt && askedAfter;
    const crossed = byTime || abandoned.has(body) || (victimAsked && askedAfter);
    if (crossed && !byTime && !abandoned.has(body)) sentBeforeKillArrivedAfter++;
    inFlight += crossed ? 1 : 0;
    const extra = list.length - 1 - (crossed ? 1 : 0);
    other += extra;
    if (extra > 0) {
      const when = list.map((a) => `${a.at - killedAt} ms from port ${a.port ?? "?"}`).join(", ");
      others.push(`body ${body.slice(0, 12)} asked ${list.length}× (${when}; relative to the kill)`);
    }
  }
  return { inFlight, other, others, sentBeforeKillArrivedAfter };
}
