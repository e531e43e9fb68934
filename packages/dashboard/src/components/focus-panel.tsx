// A panel that appears in answer to a button (a review, a version, a diff): it takes focus when it
// appears, so keyboard and screen-reader users land on it; Escape closes it, and focus goes back to
// what opened it.
import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from 'react';

export function FocusPanel({ title, onClose, className = 'panel', children }: {
  title: ReactNode;
  onClose: () => void;
  className?: string;
  children: ReactNode;
}) {
  const panel = useRef<HTMLElement>(null);
  const titleId = useId();
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    panel.current?.focus();
    panel.current?.scrollIntoView({ block: 'nearest' });
    return () => {
      // Only when focus went with the panel: an edit elsewhere that closes it keeps its focus.
      const lost = document.activeElement === null || document.activeElement === document.body;
      if (lost && opener?.isConnected) opener.focus();
    };
  }, []);
  const closeOnEscape = (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    event.stopPropagation();
    onClose();
  };
  return (
    <section ref={panel} className={`${className} focus-panel`} aria-labelledby={titleId} tabIndex={-1} onKeyDown={closeOnEscape}>
      <div className="panel-header">
        <h2 id={titleId}>{title}</h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      {children}
    </section>
  );
}
