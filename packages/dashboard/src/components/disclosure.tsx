// Forms that open in place ("New organization", "Edit role"): opening moves focus to the first field,
// Escape closes and gives focus back to what opened it.
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

/** A panel that focuses its first field when it appears and calls onClose on Escape. */
export function ClosablePanel({ onClose, children, label }: { onClose: () => void; children: ReactNode; label: string }) {
  const panel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    panel.current?.querySelector<HTMLElement>('input:not([disabled]), select, textarea')?.focus();
  }, []);
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    event.stopPropagation();
    onClose();
  };
  return (
    <div ref={panel} className="card" role="group" aria-label={label} onKeyDown={onKeyDown}>
      {children}
    </div>
  );
}

/** A button that opens a panel below it; the panel gets `close` to call when its work is done. */
export function Disclosure({ label, children }: { label: string; children: (close: () => void) => ReactNode }) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const id = useId();
  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  return (
    <div className="disclosure">
      <button ref={button} type="button" aria-expanded={open} aria-controls={id} onClick={() => setOpen((value) => !value)}>
        {label}
      </button>
      <div id={id}>
        {open && (
          <ClosablePanel label={label} onClose={close}>
            {children(close)}
          </ClosablePanel>
        )}
      </div>
    </div>
  );
}
