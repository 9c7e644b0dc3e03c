/**
 * Generate Token: a name, Generate, then the secret shown once with the one line that joins a
 * host (the install script this server serves, the token in the environment); Copy token copies
 * the token and closes.
 */
import { useState, type FormEvent } from "react";
import { useSession } from "../auth/session";
import { errorText } from "../api/client";
import type { CreatedToken } from "../api/types";
import { Dialog, DialogFormActions } from "../components/dialog";
import { copyText } from "../components/copy-button";
import { useToast } from "../components/toast";

/** The README's one line, for this server and this token. */
export function installLine(token: string): string {
  return `curl -fsSL ${window.location.origin}/install/agent.sh | sudo OUTPOST_TOKEN=${token} sh`;
}

export function GenerateTokenDialog({ onClose }: { onClose: () => void }) {
  const { api } = useSession();
  const notify = useToast();
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedToken | null>(null);

  async function generate(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      setError("Give the token a name.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      setCreated(await api.send<CreatedToken>("POST", "/tokens", { name: name.trim() }));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  async function copy() {
    if (!created) return;
    try {
      await copyText(created.token);
      notify("success", `Token "${created.name}" copied to the clipboard.`);
      onClose();
    } catch (err) {
      setError(`Could not copy: ${errorText(err)} Select the token and copy it by hand.`);
    }
  }

  if (created) {
    return (
      <Dialog
        title="Your new agent token"
        onClose={onClose}
        footer={
          <button type="button" className="btn btn-primary" onClick={copy} autoFocus>
            Copy token
          </button>
        }
      >
        <p className="warning" role="note">
          This token is shown only once. If you lose it, generate a new one.
        </p>
        <label htmlFor="new-token-value">Token “{created.name}”</label>
        <input id="new-token-value" className="mono" readOnly value={created.token} onFocus={(e) => e.target.select()} />
        <label htmlFor="install-line">Install an agent on a Linux host with Docker (as root)</label>
        <input id="install-line" className="mono" readOnly value={installLine(created.token)} onFocus={(e) => e.target.select()} />
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
      </Dialog>
    );
  }

  return (
    <Dialog title="Generate agent token" onClose={onClose}>
      <form onSubmit={generate} noValidate>
        <p className="muted">Agents use this personal access token to register with Outpost.</p>
        <label htmlFor="token-name">Token name</label>
        <input id="token-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={100} autoFocus placeholder="e.g. build-farm" />
        <DialogFormActions error={error} submitLabel={busy ? "Generating…" : "Generate"} busy={busy} onCancel={onClose} />
      </form>
    </Dialog>
  );
}
