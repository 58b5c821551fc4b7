/** How long to wait between attempts: a little longer after each failure, jittered so clients spread out. */
const backoffMinMs = 25;
const backoffMaxMs = 500;

/** Waits before attempt `attempt` + 1, never past the deadline. */
export function pause(attempt: number, deadline: number): Promise<void> {
  const ms = Math.min(backoffMaxMs, backoffMinMs * 2 ** Math.min(attempt, 10)) * (0.5 + Math.random() / 2);
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(ms, deadline - Date.now()))));
}
