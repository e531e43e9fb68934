// A JSON editor for trusted or untrusted metadata. The API merges an update into what is stored at
// the top level (a null value deletes its key), so saving sends the edited object plus a null for
// every key the admin removed: what is stored afterwards is exactly what the editor showed.
import { useState, type FormEvent } from 'react';
import { ErrorMessage, Status, TextArea, parseJsonObject, useAction } from './ui.tsx';

type Metadata = Record<string, unknown>;

/** The update that turns `stored` into `edited` under the API's top-level merge. */
export function metadataUpdate(stored: Metadata, edited: Metadata): Metadata {
  const removed = Object.keys(stored).filter((key) => !(key in edited));
  return { ...edited, ...Object.fromEntries(removed.map((key) => [key, null])) };
}

export function MetadataEditor({ label, value, onSave }: { label: string; value: Metadata; onSave: (update: Metadata) => Promise<unknown> }) {
  const [text, setText] = useState(() => JSON.stringify(value, null, 2));
  const [parseError, setParseError] = useState<string>();
  const [status, setStatus] = useState<string>();
  const save = useAction(async (update: Metadata) => {
    await onSave(update);
    setStatus(`${label} saved.`);
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setStatus(undefined);
    const parsed = parseJsonObject(text);
    setParseError(parsed.error);
    if (parsed.value) void save.run(metadataUpdate(value, parsed.value));
  };

  return (
    <form onSubmit={submit}>
      <TextArea label={label} value={text} error={parseError} spellCheck={false} rows={6} onChange={(event) => setText(event.target.value)} />
      <button type="submit" disabled={save.busy}>
        Save {label.toLowerCase()}
      </button>
      <ErrorMessage error={save.error} />
      <Status message={status} />
    </form>
  );
}

/** Both metadata editors of a user or member; `onSave` gets the update body for the record. */
export function MetadataEditors({ record, onSave }: {
  record: { trusted_metadata: Metadata; untrusted_metadata: Metadata };
  onSave: (body: { trusted_metadata: Metadata } | { untrusted_metadata: Metadata }) => Promise<unknown>;
}) {
  return (
    <>
      <MetadataEditor label="Trusted metadata" value={record.trusted_metadata} onSave={(value) => onSave({ trusted_metadata: value })} />
      <MetadataEditor label="Untrusted metadata" value={record.untrusted_metadata} onSave={(value) => onSave({ untrusted_metadata: value })} />
    </>
  );
}
