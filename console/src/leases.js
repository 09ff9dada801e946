// The leases this page holds: a pipeline it started is renewed every half
// ttl while the page is open and the pipeline runs. Nothing is sent when
// the page closes: the timers die with it and the robot stops the
// pipeline when the lease runs out ("lease expired").
export class Leases {
  #timers = new Map(); // channel\0pipeline -> {timer, ttl}
  #renew;

  // @renew(channel, pipeline, ttl) sends one renew.
  constructor(renew) {
    this.#renew = renew;
  }

  hold(channel, pipeline, ttl) {
    this.release(channel, pipeline);
    const seconds = Math.max(1, Math.floor(ttl / 2));
    const timer = setInterval(() => this.#renew(channel, pipeline, ttl), seconds * 1000);
    this.#timers.set(`${channel}\u0000${pipeline}`, { timer, ttl });
  }

  release(channel, pipeline) {
    const key = `${channel}\u0000${pipeline}`;
    const held = this.#timers.get(key);
    if (!held) return;
    clearInterval(held.timer);
    this.#timers.delete(key);
  }

  holds(channel, pipeline) {
    return this.#timers.has(`${channel}\u0000${pipeline}`);
  }

  releaseAll() {
    for (const { timer } of this.#timers.values()) clearInterval(timer);
    this.#timers.clear();
  }

  count() {
    return this.#timers.size;
  }
}
