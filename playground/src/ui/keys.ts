/**
 * Every keyboard shortcut, in one table: the handler (useKeyboard) and the "?" overlay both read
 * it, so the overlay lists exactly what works.
 */
import type { Actions } from '../store/actions';
import type { PlaygroundState } from '../store/store';

export interface KeyBinding {
  /** What e.key must be (any of them). */
  keys: string[];
  /** How the overlay writes it. */
  label: string;
  does: string;
  run(a: Actions, s: PlaygroundState): void;
  /** Simulator only (time, messages, scenarios). */
  simOnly?: boolean;
}

const selected = (s: PlaygroundState): string | null => s.ui.selectedNode;
const onSelected = (fn: (a: Actions, id: string) => void) => (a: Actions, s: PlaygroundState) => {
  const id = selected(s);
  if (id) fn(a, id);
  else a.notify('Select a node first: click it, or press its number (1 for n1).');
};

export const keyBindings: KeyBinding[] = [
  { keys: [' '], label: 'Space', does: 'play / pause', run: (a) => a.togglePlay(), simOnly: true },
  { keys: ['ArrowRight', 's'], label: '→ or S', does: 'step forward to the next event', run: (a) => a.step(), simOnly: true },
  { keys: ['ArrowLeft'], label: '←', does: 'step back to the previous event', run: (a) => a.stepBack(), simOnly: true },
  { keys: ['e'], label: 'E', does: 'run until the next election starts', run: (a) => a.runUntil('election'), simOnly: true },
  { keys: ['c'], label: 'C', does: 'run until the leader commits', run: (a) => a.runUntil('commit'), simOnly: true },
  { keys: ['v'], label: 'V', does: 'run until a safety property breaks', run: (a) => a.runUntil('violation'), simOnly: true },
  { keys: ['+', '='], label: '+', does: 'faster', run: (a) => a.nudgeSpeed(1), simOnly: true },
  { keys: ['-', '_'], label: '−', does: 'slower', run: (a) => a.nudgeSpeed(-1), simOnly: true },
  { keys: ['Home'], label: 'Home', does: 'go to the start of the run', run: (a) => a.seek(0), simOnly: true },
  { keys: ['End'], label: 'End', does: 'go to the end of this branch', run: (a, s) => a.seek(s.sim?.clock.horizon ?? 0), simOnly: true },
  { keys: ['1', '2', '3', '4', '5', '6', '7'], label: '1 … 7', does: 'select node n1 … n7', run: () => undefined },
  { keys: ['k'], label: 'K', does: 'kill the selected node', run: onSelected((a, id) => a.crash(id)) },
  { keys: ['r'], label: 'R', does: 'restart the selected node', run: onSelected((a, id) => a.restart(id)) },
  { keys: ['i'], label: 'I', does: 'isolate the selected node', run: onSelected((a, id) => a.isolate(id)) },
  { keys: ['o'], label: 'O', does: 'reconnect the selected node', run: onSelected((a, id) => a.reconnect(id)) },
  { keys: ['t'], label: 'T', does: 'time out the selected node now', run: onSelected((a, id) => a.campaign(id)), simOnly: true },
  { keys: ['h'], label: 'H', does: 'heal every link', run: (a) => a.healAll() },
  { keys: ['a'], label: 'A', does: 'align election timers (a split vote is likely)', run: (a) => a.electionTimers('align'), simOnly: true },
  { keys: ['p'], label: 'P', does: 'spread election timers', run: (a) => a.electionTimers('spread'), simOnly: true },
  { keys: [']'], label: ']', does: 'next line of the pseudocode view', run: (a) => a.stepPseudocode(1), simOnly: true },
  { keys: ['['], label: '[', does: 'previous line of the pseudocode view', run: (a) => a.stepPseudocode(-1), simOnly: true },
  { keys: ['d'], label: 'D', does: 'drop the inspected message', run: (a, s) => { if (s.ui.inspected) a.dropMessage(s.ui.inspected.id); }, simOnly: true },
  { keys: ['w'], label: 'W', does: 'send the client panel\'s PUT', run: (a) => a.sendClient('put') },
  { keys: ['g'], label: 'G', does: 'send the client panel\'s GET', run: (a) => a.sendClient('get') },
  { keys: ['b'], label: 'B', does: 'start here: the first election, slowly', run: (a) => a.runScenario('start-here'), simOnly: true },
  { keys: ['n'], label: 'N', does: 'new run (reset with the header\'s seed and size)', run: (a) => a.reset(), simOnly: true },
  { keys: ['l'], label: 'L', does: 'copy a link to this run, up to this moment', run: () => undefined, simOnly: true },
  { keys: ['m'], label: 'M', does: 'switch between the simulator and the live cluster', run: (a, s) => a.setMode(s.mode === 'sim' ? 'live' : 'sim') },
  { keys: ['?'], label: '?', does: 'show or hide this list', run: (a) => a.toggleHelp() },
  { keys: ['Escape'], label: 'Esc', does: 'close this list, the inspector and menus', run: () => undefined },
];
