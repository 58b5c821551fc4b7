/** Live mode is its own issue; the toggle exists now so links and tests can rely on it. */
export function LivePlaceholder() {
  return (
    <main className="live-placeholder" data-testid="live-mode">
      <h2>Live mode: coming</h2>
      <p>
        Live mode will show a real cluster of Node.js processes (started with <code>npm start</code>) through socket.io,
        with the same ring, logs and event feed you see in the simulator. The nodes run the very same Raft core.
      </p>
      <p>Until then, switch back to the simulator to watch the core at work.</p>
    </main>
  );
}
