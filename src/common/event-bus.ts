import type { Logger } from './log.ts';
import type { HubEvents, Topic } from '../model/topics.ts';

type Listener<T extends Topic> = (data: HubEvents[T], topic: T) => void;
type AnyListener = <T extends Topic>(topic: T, data: HubEvents[T]) => void;

/**
 * Synchronous, typed publish/subscribe. A throwing listener is logged and does not stop the others
 * or the publisher: the hub must keep detecting whatever a subscriber does.
 */
export class EventBus {
  private readonly listeners = new Map<Topic, Set<Listener<Topic>>>();
  private readonly any = new Set<AnyListener>();

  constructor(private readonly logger?: Logger) {}

  /** Subscribes to one topic; returns the unsubscribe function. */
  on<T extends Topic>(topic: T, fn: Listener<T>): () => void {
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(fn as Listener<Topic>);
    return () => void set.delete(fn as Listener<Topic>);
  }

  /** Subscribes to every topic (e.g. to forward them over WebSocket); returns the unsubscribe function. */
  onAny(fn: AnyListener): () => void {
    this.any.add(fn);
    return () => void this.any.delete(fn);
  }

  /** True when somebody listens to `topic` (lets hot paths skip building payloads). */
  has(topic: Topic): boolean {
    return this.any.size > 0 || (this.listeners.get(topic)?.size ?? 0) > 0;
  }

  publish<T extends Topic>(topic: T, data: HubEvents[T]): void {
    const set = this.listeners.get(topic);
    if (set) {
      for (const fn of set) {
        try {
          fn(data, topic);
        } catch (err) {
          this.logger?.error({ err, topic }, 'event bus listener failed');
        }
      }
    }
    for (const fn of this.any) {
      try {
        fn(topic, data);
      } catch (err) {
        this.logger?.error({ err, topic }, 'event bus listener failed');
      }
    }
  }
}
