/**
 * Play/pause, step, speed (0.01x to 100x on a logarithmic slider) and the time scrubber. Dragging
 * the scrubber back shows the past; playing from there replays what happened, and any action
 * taken there starts a new future.
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
    </div>
  );
}

function PlayButtons() {
  const playing = usePlayground((s) => s.sim?.clock.playing ?? false);
  const a = useActions();
  return (
    <div className="play-buttons">
      <button type="button" data-testid="play-pause" className="primary" onClick={a.togglePlay} aria-label={playing ? 'Pause' : 'Play'} title={playing ? 'Pause (space)' : 'Play (space)'}>
        {playing ? '❚❚ Pause' : '▶ Play'}
      </button>
      <button type="button" data-testid="step" onClick={a.step} aria-label="Step to the next event" title="Run to the next thing that happens: a message sent or delivered, or an event (→)">
        Step ▸
      </button>
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
  // Seeks land a moment later; hold the thumb where the user put it (seeks land within 1 ms of it).
  const [shown, choose] = usePendingValue(now, 1);
  const { seek } = useActions();
  return (
    <div className="scrubber">
      <label>
        <span className="clock" data-testid="clock" data-now={Math.round(now)} data-steps={steps}>
          t = {formatTime(now)}
        </span>
        <input type="range" data-testid="time-scrubber" aria-label="Time: drag back to travel in time" min={0} max={Math.max(horizon, 1)} step={1}
          value={Math.min(shown, horizon)} onChange={(e) => {
            const at = Number(e.target.value);
            choose(at);
            seek(at);
          }} />
      </label>
      {inPast
        ? <p className="past-note" data-testid="in-past">Viewing the past (of {formatTime(horizon)}). Play replays what happened; any action here starts a new future.</p>
        : <p className="past-note quiet">Simulated time. Drag back to travel in time.</p>}
    </div>
  );
}
