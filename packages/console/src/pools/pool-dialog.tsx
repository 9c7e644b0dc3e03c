/** Create Agent Pool / Edit Agent Pool: Name (required) and Description. */
import { useState, type FormEvent } from "react";
import { useSession } from "../auth/session";
import { errorText } from "../api/client";
import type { Pool } from "../api/types";
import { Dialog, DialogFormActions } from "../components/dialog";

interface Props {
  pool?: Pool;
  /** Called with the saved pool; the dialog stays open (busy) until it resolves. */
  onSaved: (pool: Pool) => void | Promise<void>;
  onClose: () => void;
  org?: string;
}

export function PoolDialog({ pool, onSaved, onClose, org }: Props) {
  const { api } = useSession();
  const [name, setName] = useState(pool?.name ?? "");
  const [description, setDescription] = useState(pool?.description ?? "");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      setError("Name is required.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body = { name: name.trim(), description };
      const saved = pool
        ? await api.send<Pool>("PATCH", `/pools/${pool.id}`, body)
        : await api.send<Pool>("POST", "/pools", org ? { ...body, org } : body);
      await onSaved(saved);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }

  return (
    <Dialog title={pool ? "Edit Agent Pool" : "Create Agent Pool"} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <label htmlFor="pool-name">
          Name <span aria-hidden="true">*</span>
        </label>
        <input id="pool-name" value={name} required aria-required="true" maxLength={100} onChange={(e) => setName(e.target.value)} autoFocus />
        <label htmlFor="pool-description">Description</label>
        <textarea id="pool-description" value={description} maxLength={2000} rows={3} onChange={(e) => setDescription(e.target.value)} />
        <DialogFormActions error={error} submitLabel={busy ? "Saving…" : pool ? "Save" : "Create"} busy={busy} onCancel={onClose} />
      </form>
    </Dialog>
  );
}
