// Rate limits count in fixed windows of the wall clock (rate-limit/limiter.ts). A test that counts
// calls up to a limit against a server on the real clock waits, when need be, for a fresh window, so
// that its calls cannot straddle a window's end (which resets the count and lets the last one through).

/** Waits until at least `needMs` are left in the current window of `windowSeconds` (a minute by default). */
export async function fitInRateWindow(needMs: number, windowSeconds = 60): Promise<void> {
  const windowMs = windowSeconds * 1000;
  const left = windowMs - (Date.now() % windowMs);
  if (left < needMs) await new Promise((resolve) => setTimeout(resolve, left + 100));
}
