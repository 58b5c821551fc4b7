/**
 * Time you can trust: play/pause, one event back or forward, run until the next election, commit
 * or violation, speed (0.01x to 100x on a logarithmic slider), and the scrubber with a mark for
 * every action taken. Dragging back shows the past; playing from there replays what happened;
 * acting there starts a new branch, and the old future stays in the branch list. The state hash
 * fingerprints the moment shown (a shared link reaches the same one).
 */
import { formatSpeed, formatTime, sliderToSpeed, speedToSlider } from '../../store/selectors';
import { useActions, usePlayground } from '../context';
import { usePendingValue } from '../usePendingValue';

export function TimeControls() {
  return (
    <div className="time-controls">
      <PlayButtons />
      <SpeedSlider />
      <Scrubber />
      <Branches />
    </div>
  );
}

function PlayButtons() {
  const playing = usePlayground((s) => s.sim?.clock.playing ?? false);
  const a = useActions();
  return (
    <div className="play-buttons">
      <button type="button" data-testid="step-back" onClick={a.stepBack} aria-label="Step back to the previous event" title="Back to the previous event (←)">◂</button>
      <button type="button" data-testid="play-pause" className="primary" onClick={a.togglePlay} aria-label={playing ? 'Pause' : 'Play'} title={playing ? 'Pause (space)' : 'Play (space)'}>
        {playing ? '❚❚ Pause' : '▶ Play'}
      </button>
      <button type="button" data-testid="step" onClick={a.step} aria-label="Step to the next event" title="Run to the next thing that happens: a message sent or delivered, or an event (→)">
        ▸
      </button>
      <span className="run-until" role="group" aria-label="Run until">
        <span className="quiet">until next</span>
        <button type="button" data-testid="until-election" onClick={() => a.runUntil('election')} title="Run until an election starts (E)">election</button>
        <button type="button" data-testid="until-commit" onClick={() => a.runUntil('commit')} title="Run until the leader commits (C)">commit</button>
        <button type="button" data-testid="until-violation" onClick={() => a.runUntil('violation')} title="Run until a safety property breaks, for at most 60 simulated seconds (V)">violation</button>
      </span>
    </div>
  );
}

function SpeedSlider() {
  const actual = usePlayground((s) => s.sim?.clock.speed ?? 1);
  const [speed, choose] = usePendingValue(actual);
  const { setSpeed } = useActions();
  return (
    <label className="speed">
      <span>Speed <output data-testid="speed-label">{formatSpeed(speed)}</output></span>
      <input type="range" data-testid="speed" aria-label="Speed (logarithmic, 0.01x to 100x)" aria-valuetext={formatSpeed(speed)}
        min={-2} max={2} step={0.01} value={speedToSlider(speed)} onChange={(e) => {
          const next = sliderToSpeed(Number(e.target.value));
          choose(next);
          setSpeed(next);
        }} />
    </label>
  );
}

function Scrubber() {
  const now = usePlayground((s) => s.sim?.clock.now ?? 0);
  const steps = usePlayground((s) => s.sim?.clock.steps ?? 0);
  const horizon = usePlayground((s) => s.sim?.clock.horizon ?? 0);
  const inPast = usePlayground((s) => s.sim?.clock.inPast ?? false);
  const hash = usePlayground((s) => s.sim?.lab?.stateHash ?? '');
  // Seeks land a moment later; hold the thumb where the user put it (seeks land within 1 ms of it).
  const [shown, choose] = usePendingValue(now, 1);
  const { seek } = useActions();
  return (
    <div className="scrubber">
      <div className="clock-row">
        <span className="clock" data-testid="clock" data-now={Math.round(now)} data-time={now} data-steps={steps}>t = {formatTime(now)}</span>
        <code className="state-hash" data-testid="state-hash" data-hash={hash} title="A fingerprint of the whole simulated state at this moment: a shared link reaches the same one">#{hash}</code>
      </div>
      <div className="scrub-track">
        <input type="range" data-testid="time-scrubber" aria-label="Time: drag back to travel in time" min={0} max={Math.max(horizon, 1)} step={1}
          value={Math.min(shown, horizon)} onChange={(e) => {
            const at = Number(e.target.value);
            choose(at);
            seek(at);
          }} />
        <Marks horizon={Math.max(horizon, 1)} />
      </div>
      {inPast
        ? <p className="past-note" data-testid="in-past">Viewing the past (of {formatTime(horizon)}). Play replays what happened; acting here starts a new branch.</p>
        : <p className="past-note quiet">Simulated time. Drag back to travel in time; ← and → step one event.</p>}
    </div>
  );
}

/** A tick on the scrubber for every action of this branch: click one to go there. */
function Marks({ horizon }: { horizon: number }) {
  const marks = usePlayground((s) => s.sim?.lab?.marks);
  const { seek } = useActions();
  if (!marks || marks.length === 0) return null;
  return (
    <div className="marks" data-testid="scrubber-marks" data-count={marks.length}>
      {marks.map((m, i) => (
        <button type="button" key={i} className="mark" style={{ left: `${Math.min(100, (m.at / horizon) * 100)}%` }} onClick={() => seek(m.at)}
          title={`${formatTime(m.at)}: ${m.label}`} aria-label={`Go to ${formatTime(m.at)}: ${m.label}`} data-at={m.at} />
      ))}
    </div>
  );
}

function Branches() {
  const branches = usePlayground((s) => s.sim?.lab?.branches);
  const { switchBranch } = useActions();
  if (!branches || branches.length < 2) return null;
  return (
    <div className="branches" data-testid="branches">
      <span className="quiet">Branches:</span>
      {branches.map((b) => (
        <button type="button" key={b.id} data-testid={`branch-${b.id}`} aria-pressed={b.current} data-current={b.current} onClick={() => switchBranch(b.id)}
          title={`${b.name}: from ${formatTime(b.forkAt)} to ${formatTime(b.horizon)}, ${b.actions} action${b.actions === 1 ? '' : 's'}`}>
          {b.name}
        </button>
      ))}
    </div>
  );
}
