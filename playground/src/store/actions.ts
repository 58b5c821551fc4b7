/**
 * Everything the user can do, as plain functions over the store and the engine transport.
 * Commands are data (EngineCommand); the engine answers with a new snapshot. In live mode the
 * engine is the live session, which takes the same commands and acts on real processes.
 */
import type { ClientOp, EngineCommand, ExplainTarget, MessageView, ProtocolName, ProtocolToggles, RunSetup, RunUntil, SharedRun, UserAction } from '../engine/protocol';
import { toggleScenario } from '../engine/scenario-ids';
import type { ScenarioFile } from '../engine/scenario-format';
import { parseScenario, scenarioFromSnapshot, serversMax } from '../engine/scenario-format';
import type { Transport } from '../engine/transport';
import { leaderOf, sideGroups } from './selectors';
import type { Mode, PlaygroundStore } from './store';
import { patchUi } from './store';
import { clampNodes, shareQuery } from './url';

/** The option the commit-rule switch stands for (engine/bug-zoo.ts; named here so the page need not load the core). */
const commitRuleBug = 'commitOldTermByCount';

export interface Playground {
  store: PlaygroundStore;
  /** The engine of the mode on screen (ModeSwitch in the page). */
  transport: Pick<Transport, 'send'>;
  /** Switches the engine behind the page; without it the mode is only recorded. */
  switchMode?: (mode: Mode) => void;
}

export type Actions = ReturnType<typeof createActions>;

/** Speeds the + and - keys step through. */
const speedSteps = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100];

export function createActions({ store, transport, switchMode }: Playground) {
  const send = (command: EngineCommand) => transport.send(command);
  const act = (action: UserAction) => send({ type: 'act', action });
  const ids = () => store.getState().sim?.nodes.map((n) => n.id) ?? [];
  const setup = () => store.getState().sim?.setup;
  /** The rules the learner chose: what the run started with (a guided scenario may show others). */
  const chosenProtocol = (): ProtocolToggles | undefined => setup()?.protocol;

  const actions = {
    togglePlay() {
      send({ type: store.getState().sim?.clock.playing ? 'pause' : 'play' });
    },
    play: () => send({ type: 'play' }),
    pause: () => send({ type: 'pause' }),
    step: () => send({ type: 'step' }),
    stepBack: () => send({ type: 'stepBack' }),
    runUntil: (until: RunUntil) => send({ type: 'runUntil', until }),
    setSpeed: (speed: number) => send({ type: 'setSpeed', speed }),
    /** One notch faster (+1) or slower (-1) on the usual speeds. */
    nudgeSpeed(direction: 1 | -1) {
      const speed = store.getState().sim?.clock.speed ?? 1;
      const i = speedSteps.findIndex((s) => s >= speed - 1e-9);
      const at = i < 0 ? speedSteps.length - 1 : speedSteps[i]! > speed + 1e-9 && direction < 0 ? i : i + direction;
      send({ type: 'setSpeed', speed: speedSteps[Math.min(speedSteps.length - 1, Math.max(0, at))]! });
    },
    seek: (at: number) => send({ type: 'seek', at }),
    seekViolation: (index: number) => send({ type: 'seekViolation', index }),
    switchBranch: (id: number) => send({ type: 'switchBranch', id }),

    /** Starts over with the seed and node count from the header (and the rules, load and loss of the run). */
    reset() {
      const { ui, sim } = store.getState();
      const parsed = Number(ui.draftSeed);
      const seed = Number.isSafeInteger(parsed) && parsed >= 0 ? parsed : (sim?.setup.seed ?? 1);
      patchUi(store, { draftSeed: String(seed), inspected: null, selectedLink: null, notice: null });
      const base = sim?.setup;
      send({
        type: 'reset',
        setup: {
          seed, nodeCount: clampNodes(ui.draftNodes), protocol: { ...(base?.protocol ?? defaultProtocol()) },
          loadOpsPerSec: sim?.loadOpsPerSec ?? 0, lossRate: sim?.network.lossRate ?? 0, ...(base?.bugs?.length ? { bugs: [...base.bugs] } : {}),
        },
      });
    },
    setDraftSeed: (draftSeed: string) => patchUi(store, { draftSeed }),
    setDraftNodes: (draftNodes: number) => patchUi(store, { draftNodes: clampNodes(draftNodes) }),
    /** Switches one protocol rule on or off: a fresh run with the same seed and the new rules. */
    setProtocol(name: ProtocolName, on: boolean) {
      const s = store.getState().sim;
      if (!s) return;
      send({ type: 'reset', setup: { ...s.setup, protocol: { ...s.setup.protocol, [name]: on }, loadOpsPerSec: s.loadOpsPerSec, lossRate: s.network.lossRate } });
    },
    /** Runs the rule's scenario with the rule on or off: one passes, the other fails. */
    runToggleScenario(name: ProtocolName, on: boolean) {
      const protocol = chosenProtocol();
      if (!protocol) return;
      send({ type: 'runScenario', id: toggleScenario[name], protocol: { ...protocol, [name]: on } });
    },

    /**
     * Switches a bug-zoo option on or off: a fresh run with the same seed (the commit rule's
     * option is the commit-rule switch, the same setting under its other name).
     */
    setBug(name: string, on: boolean) {
      const s = store.getState().sim;
      if (!s) return;
      patchUi(store, { notice: on ? `${name} is on in a fresh run: "show it" in the bug zoo runs its demonstration.` : null });
      if (name === commitRuleBug) return actions.setProtocol('commitRule', !on);
      const bugs = new Set(s.setup.bugs ?? []);
      if (on) bugs.add(name);
      else bugs.delete(name);
      const setup: RunSetup = { ...s.setup, loadOpsPerSec: s.loadOpsPerSec, lossRate: s.network.lossRate, bugs: [...bugs].sort() };
      if (bugs.size === 0) delete setup.bugs;
      send({ type: 'reset', setup });
    },
    /** Runs an option's demonstration: with the bug if the learner switched it on, else the same script with the rule kept. */
    runBugScenario(name: string) {
      const s = store.getState().sim;
      const entry = s?.lab?.zoo.find((z) => z.name === name);
      if (!s || !entry) return;
      const on = name === commitRuleBug ? !s.setup.protocol.commitRule : (s.setup.bugs ?? []).includes(name);
      send({ type: 'runScenario', id: on ? entry.bugScenario : entry.ruleScenario });
    },

    /** A new, empty server starts; if a leader is there, it is asked at once to add it as a learner. */
    addServer() {
      const count = ids().length;
      if (count >= serversMax) return;
      act({ type: 'addNode' });
      const leader = actions.leaderId();
      if (leader) actions.changeMembership('addLearner', `n${count + 1}`);
    },
    /** Asks the leader to add a learner, promote one, or remove a server (the operator's request). */
    changeMembership(type: 'addLearner' | 'promote' | 'remove', node: string) {
      const leader = actions.leaderId();
      if (leader) act({ type: 'client', request: { clientId: 'operator', node: leader, op: 'config', key: '', change: { type, node }, record: false } });
    },
    /** Asks the leader to hand leadership to `target` (TimeoutNow once it is caught up). */
    transferLeadership(target: string) {
      const leader = actions.leaderId();
      if (leader && leader !== target) act({ type: 'client', request: { clientId: 'operator', node: leader, op: 'transfer', key: '', target, record: false } });
    },

    crash: (node: string) => act({ type: 'crash', node }),
    restart: (node: string) => act({ type: 'restart', node }),
    isolate: (node: string) => act({ type: 'isolate', node }),
    /** Heals every link to and from one node. */
    reconnect(node: string) {
      for (const other of ids()) if (other !== node) act({ type: 'heal', from: node, to: other, bothWays: true });
    },
    cut: (from: string, to: string, bothWays: boolean) => act({ type: 'cut', from, to, bothWays }),
    heal: (from: string, to: string, bothWays: boolean) => act({ type: 'heal', from, to, bothWays }),
    healAll: () => act({ type: 'healAll' }),
    setLossRate: (lossRate: number) => act({ type: 'setNetwork', network: { lossRate: Math.min(1, Math.max(0, lossRate)) } }),
    campaign: (node: string) => act({ type: 'campaign', node }),
    electionTimers: (mode: 'align' | 'spread') => act({ type: 'electionTimers', mode }),
    dropMessage: (id: number) => act({ type: 'dropMessage', id }),
    delayMessage: (id: number, ms: number) => act({ type: 'delayMessage', id, ms }),
    duplicateMessage: (id: number) => act({ type: 'duplicateMessage', id }),

    /** Puts a node on side A or B of the partition being drawn. */
    setSide(node: string, side: 'A' | 'B') {
      patchUi(store, { sides: { ...store.getState().ui.sides, [node]: side } });
    },
    /** Cuts every link between side A and side B, in one step (and heals the rest). */
    partition() {
      const groups = sideGroups(ids(), store.getState().ui.sides);
      if (groups.length === 2) act({ type: 'partition', groups });
    },

    selectNode: (id: string | null) => patchUi(store, { selectedNode: id }),
    inspectMessage(message: MessageView | null) {
      patchUi(store, { inspected: message, selectedLink: null, ...(message ? { pseudocodeLine: 0 } : {}) });
      send({ type: 'inspect', id: message?.id ?? null });
    },
    /** Shows the rules the core applied for a feed line or a message (the pseudocode view); null closes it. */
    explain(target: ExplainTarget | null) {
      patchUi(store, { pseudocodeLine: 0 });
      send({ type: 'explain', target });
    },
    /** Moves the pseudocode view's current line by `delta`, within its lines. */
    stepPseudocode(delta: 1 | -1) {
      const view = store.getState().sim?.lab?.pseudocode;
      if (!view) return;
      const last = view.sections.reduce((n, s) => n + s.lines.length, 0) - 1;
      const line = store.getState().ui.pseudocodeLine + delta;
      patchUi(store, { pseudocodeLine: Math.max(0, Math.min(last, line)) });
    },
    selectLink: (link: [string, string] | null) => patchUi(store, { selectedLink: link, inspected: null }),

    setClientField(field: 'clientKey' | 'clientValue', value: string) {
      patchUi(store, { [field]: value });
    },
    setClientName: (clientName: string) => patchUi(store, { clientName }),
    setClientTarget: (target: string) => patchUi(store, { clientTarget: target }),
    setStaleRead: (staleRead: boolean) => patchUi(store, { staleRead }),
    setClientRetry: (clientRetry: boolean) => patchUi(store, { clientRetry }),
    sendClient(op: ClientOp) {
      const { ui } = store.getState();
      send({ type: 'client', op, target: ui.clientTarget, key: ui.clientKey, value: ui.clientValue, stale: ui.staleRead, client: ui.clientName, retry: ui.clientRetry });
    },
    setLoad: (opsPerSec: number) => send({ type: 'setLoad', opsPerSec }),
    setVerboseFeed(verboseFeed: boolean) {
      patchUi(store, { verboseFeed });
      send({ type: 'setVerboseFeed', verbose: verboseFeed });
    },
    setLogView: (lo: number | null) => send({ type: 'setLogView', lo }),

    runScenario: (id: string) => send({ type: 'runScenario', id }),
    stopScenario: () => send({ type: 'stopScenario' }),
    openRun: (run: SharedRun) => send({ type: 'load', run }),
    /** Reads a scenario file (its text) and opens it; says what is wrong if it cannot. */
    importScenario(text: string): boolean {
      try {
        send({ type: 'load', run: parseScenario(JSON.parse(text)) });
        patchUi(store, { notice: null });
        return true;
      } catch (error) {
        patchUi(store, { notice: `Not a scenario this page can open: ${error instanceof Error ? error.message : String(error)}` });
        return false;
      }
    },
    /** The run on screen as a scenario file (its actions so far, and what holds now). */
    exportScenario(title: string): ScenarioFile | null {
      const sim = store.getState().sim;
      return sim?.lab ? scenarioFromSnapshot(sim, title) : null;
    },

    setMode(mode: Mode) {
      if (switchMode) switchMode(mode);
      else store.setState({ mode });
    },

    /** The link that reproduces this run up to the moment shown: seed, settings and every action so far. */
    shareLink(origin: string, path: string): string {
      const { sim, mode } = store.getState();
      if (mode === 'live' || !sim?.lab) return `${origin}${path}?mode=live`;
      return `${origin}${path}${shareQuery({ setup: sim.setup, script: sim.lab.script, at: sim.clock.now }, sim.clock.speed)}`;
    },
    notify: (notice: string | null) => patchUi(store, { notice }),
    toggleHelp: (open?: boolean) => patchUi(store, { helpOpen: open ?? !store.getState().ui.helpOpen }),

    /** The leader right now, for views that act on it. */
    leaderId: () => leaderOf(store.getState().sim?.nodes ?? [])?.id ?? null,
  };
  return actions;
}

function defaultProtocol(): ProtocolToggles {
  return { preVote: true, checkQuorum: true, leaderNoop: true, fastBacktracking: true, readIndex: true, commitRule: true };
}
