/**
 * A worker's side of `--workers`: it tells the primary when it is ready and
 * when its own failures send a peer out or bring it back; it takes the
 * primary's health verdicts (active checks run there) and the other
 * workers' passive ones, answers the primary's requests for its figures,
 * and, for `--admin-path` on its own listeners, asks the primary for the
 * whole proxy's view.
 *
 * @module
 */
import type { Channel, Runtime } from "../../runtime/index.ts";
import type { AdminView } from "../admin/app.ts";
import type { RunningProxy } from "../server.ts";
import type { Peer } from "../upstream/peer.ts";
import type { PrimaryMessage, WorkerMessage } from "./protocol.ts";

// A view the primary does not send within this is answered 503 by Hono's error path.
const VIEW_TIMEOUT_MS = 5000;

/** The worker's channel to its primary, before the proxy starts. */
export class WorkerLink {
  #proxy: RunningProxy | undefined;
  #asks = new Map<number, (m: Extract<PrimaryMessage, { t: "view" }>) => void>();
  #nextId = 1;

  private constructor(readonly channel: Channel, readonly index: number) {}

  /**
   * Connects to the primary's socket and says which worker this is. When
   * the primary goes away the worker has no one to restart it: `onLost`.
   * @throws Error when the socket cannot be reached
   */
  static async connect(rt: Runtime, path: string, index: number, onLost: () => void): Promise<WorkerLink> {
    const link = new WorkerLink(await rt.channels.connect(path), index);
    link.channel.onMessage = (m) => void link.#onMessage(m as PrimaryMessage);
    link.channel.onClose = onLost;
    link.#send({ t: "hello", worker: index, pid: rt.pid });
    return link;
  }

  /** Hooks the running proxy up: its peers' passive verdicts go out, `--admin-path` shows every worker. Then says ready. */
  attach(proxy: RunningProxy): void {
    this.#proxy = proxy;
    for (const g of proxy.groups) {
      for (const p of g.peers) {
        p.onPassiveChange = (peer: Peer) => this.#send({ t: "out", group: g.name, peer: peer.key, until: peer.outUntil });
      }
    }
    if (proxy.admin) proxy.admin.view = this.#remoteView();
    this.#send({ t: "ready" });
  }

  #send(m: WorkerMessage): void {
    this.channel.send(m);
  }

  #peer(group: string, key: string): { peer: Peer; notify: () => void } | undefined {
    const g = this.#proxy?.groups.find((x) => x.name === group);
    const peer = g?.peers.find((p) => p.key === key);
    return g && peer ? { peer, notify: () => g.notify() } : undefined;
  }

  async #onMessage(m: PrimaryMessage): Promise<void> {
    if (m.t === "health") {
      const found = this.#peer(m.group, m.peer);
      if (!found) return;
      found.peer.healthy = m.healthy;
      // As a local health check does: held requests try the peer at once.
      if (m.healthy) found.notify();
    } else if (m.t === "out") {
      this.#peer(m.group, m.peer)?.peer.shareOut(m.until);
    } else if (m.t === "figures") {
      const local = this.#proxy?.admin?.local;
      const figures = local ? { snapshot: await local.snapshot(), metrics: await local.metricsJson() } : null;
      this.#send({ t: "figures", id: m.id, figures });
    } else if (m.t === "view") {
      this.#asks.get(m.id)?.(m);
      this.#asks.delete(m.id);
    }
  }

  /** The whole proxy's figures, asked of the primary at each call. */
  #remoteView(): AdminView {
    const ask = () =>
      new Promise<Extract<PrimaryMessage, { t: "view" }>>((resolve, reject) => {
        const id = this.#nextId++;
        const t = setTimeout(() => {
          this.#asks.delete(id);
          reject(new Error(`the primary sent no figures within ${VIEW_TIMEOUT_MS} ms`));
        }, VIEW_TIMEOUT_MS);
        this.#asks.set(id, (m) => {
          clearTimeout(t);
          resolve(m);
        });
        this.#send({ t: "view", id });
      });
    return {
      snapshot: async () => (await ask()).snapshot,
      metrics: async () => (await ask()).metrics,
    };
  }
}
