// A panel that appears in answer to a button (a review, a version, a diff): it takes focus when it
// appears, so keyboard and screen-reader users land on it, and Escape closes it.
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
    panel.current?.focus();
    panel.current?.scrollIntoView({ block: 'nearest' });
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
