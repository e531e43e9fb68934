// A small router over the History API: the dashboard has a dozen flat pages, which does not need
// a routing library. Paths are relative to /dashboard (Vite's base).
import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

export const BASE = '/dashboard';

function currentPath(): string {
  const path = window.location.pathname.startsWith(BASE) ? window.location.pathname.slice(BASE.length) : window.location.pathname;
  return path === '' ? '/' : path;
}

const listeners = new Set<() => void>();

/**
 * Pages with unsaved work (the policy editor's draft) register a guard: every in-app navigation asks
 * them first, and while one is registered, closing or reloading the tab gets the browser's prompt.
 */
const leaveGuards = new Set<() => boolean>();
/** The URL on screen, to go back to when a guard keeps the page after the browser's Back. */
let shownUrl = window.location.pathname + window.location.search;

/** Whether the page may be left: every guard agrees (each asks the admin). */
export function confirmLeave(): boolean {
  return [...leaveGuards].every((guard) => guard());
}

window.addEventListener('popstate', () => {
  // Back/Forward has already changed the URL; a kept page puts its own back.
  if (!confirmLeave()) return window.history.pushState(null, '', shownUrl);
  shownUrl = window.location.pathname + window.location.search;
  listeners.forEach((listener) => listener());
});

/** While `message` is set, leaving the page asks for confirmation with it. */
export function useLeaveGuard(message: string | null): void {
  useEffect(() => {
    if (message === null) return;
    const guard = () => window.confirm(message);
    // Browsers show their own text for beforeunload; preventDefault is what asks.
    const beforeUnload = (event: BeforeUnloadEvent) => event.preventDefault();
    leaveGuards.add(guard);
    window.addEventListener('beforeunload', beforeUnload);
    return () => {
      leaveGuards.delete(guard);
      window.removeEventListener('beforeunload', beforeUnload);
    };
  }, [message]);
}

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (!confirmLeave()) return;
  const url = `${BASE}${path}`;
  shownUrl = url;
  if (options.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  listeners.forEach((listener) => listener());
}

/** The path (after /dashboard) and its query, re-rendered on navigation. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const [location, setLocation] = useState(() => ({ path: currentPath(), query: new URLSearchParams(window.location.search) }));
  useEffect(() => {
    const update = () => setLocation({ path: currentPath(), query: new URLSearchParams(window.location.search) });
    listeners.add(update);
    return () => void listeners.delete(update);
  }, []);
  return location;
}

/** Matches `/users/:id` style patterns; returns the parameters or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const names: string[] = [];
  const regex = new RegExp(
    `^${pattern.replace(/:([a-z_]+)/gi, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    })}/?$`,
  );
  const match = regex.exec(path);
  if (!match) return null;
  return Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(match[index + 1]!)]));
}

/** An ordinary link (focusable, opens in a new tab with a modifier) that navigates in place. */
export function Link({ to, onClick, ...props }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={`${BASE}${to}`} onClick={handle} {...props} />;
}
