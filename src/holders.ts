/*
 * Following the garbage collection of what holds a call (its APIPromise, promises derived from
 * it, its Stream and the Stream's iterator), so that a call the application dropped still ends.
 * Owned by `Call`; the call's state (ended, body requested) is its owner's.
 */
import { logger } from './util';

/** Tells the owner of each HolderWatch that its last watched holder was collected. */
const abandoned = new FinalizationRegistry<HolderWatch>((watch) => watch.onHolderCollected());

const notConsumed = (): boolean => false;

export class HolderWatch {
  /** Watched holders still alive. */
  private holders = 0;
  /** Holders given before the headers came, and how to tell that one is being consumed. */
  private pending: Array<{ holder: object; consumed: (holder: object) => boolean }> | undefined;
  /** The request has not answered yet. */
  private awaitingHeaders = true;

  /** `onAbandoned` is called once every registered holder was collected. */
  constructor(private readonly onAbandoned: () => void) {}

  /**
   * Calls `onAbandoned` once every watched holder is garbage, unless unwatched before.
   *
   * While the request is in flight its outcome comes anyway (a failure ends the call as one), so
   * a holder given before the headers is kept until they come, and handed to the garbage
   * collector's registry only if by then no holder is being consumed (`consumed`: for an
   * APIPromise, the application has awaited it or asked for its body or Response). An awaited
   * call, the usual case, so never touches the registry.
   */
  watch(holder: object, consumed: (holder: object) => boolean = notConsumed): void {
    if (this.awaitingHeaders) (this.pending ??= []).push({ holder, consumed });
    else this.register(holder);
  }

  private register(holder: object): void {
    this.holders++;
    abandoned.register(holder, this, this);
  }

  /**
   * The headers came: the holders given before go to the registry, unless one is being consumed
   * or `settled` (the call ended, or its body was asked for: its own outcome will end it).
   */
  onHeaders(settled: boolean): void {
    this.awaitingHeaders = false;
    const pending = this.pending;
    this.pending = undefined;
    if (!pending || settled) return;
    try {
      for (const { holder, consumed } of pending) if (consumed(holder)) return;
      for (const { holder } of pending) this.register(holder);
    } catch (err) {
      logger.debug('could not watch a call for garbage collection', err);
    }
  }

  /** Stop watching what was given so far. */
  unwatch(): void {
    this.pending = undefined;
    if (this.holders === 0) return;
    this.holders = 0;
    abandoned.unregister(this);
  }

  /** Called by the registry when one watched holder was collected. */
  onHolderCollected(): void {
    if (this.holders === 0 || --this.holders > 0) return;
    this.onAbandoned();
  }
}
