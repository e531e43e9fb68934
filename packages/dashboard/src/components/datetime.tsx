// A date and time picked in the browser's local time (datetime-local, to the second) and kept as
// an ISO timestamp, which is what the API takes and what goes in the URL.
import type { InputHTMLAttributes } from 'react';
import { TextField } from './ui.tsx';

const pad = (value: number) => String(value).padStart(2, '0');

/** An ISO timestamp as a datetime-local value (local time), or '' when there is none. */
export function toLocalInput(iso: string): string {
  const date = new Date(iso);
  if (iso === '' || Number.isNaN(date.getTime())) return '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** A datetime-local value as an ISO timestamp, or '' when it is empty or incomplete. */
export function fromLocalInput(value: string): string {
  const date = new Date(value);
  return value === '' || Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

export function DateTimeField({ label, value, onChange, ...input }: {
  label: string;
  /** ISO timestamp or ''. */
  value: string;
  onChange: (iso: string) => void;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange' | 'type'>) {
  return (
    <TextField
      label={label}
      type="datetime-local"
      step={1}
      value={toLocalInput(value)}
      onChange={(event) => onChange(fromLocalInput(event.target.value))}
      {...input}
    />
  );
}
