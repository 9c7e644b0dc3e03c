/**
 * Generate Token: a name, Generate, then the secret shown once with the one line that joins a
 * host (the install script this server serves, the token in the environment); Copy token copies
 * the token and closes. The token is a registration token (docs/api.md): scope agents:register
 * only, an expiry, and optionally a number of agent registrations it allows.
 */
import { useState, type FormEvent } from "react";
import { useSession } from "../auth/session";
import { errorText } from "../api/client";
import type { CreatedToken } from "../api/types";
import { Dialog, DialogFormActions } from "../components/dialog";
import { copyText } from "../components/copy-button";
import { useToast } from "../components/toast";

/** Expiry choices, in hours; the first is the default (a registration token should be short-lived). */
const EXPIRIES = [
  { label: "1 day", hours: 24 },
  { label: "1 hour", hours: 1 },
  { label: "7 days", hours: 24 * 7 },
  { label: "30 days", hours: 24 * 30 },
  { label: "1 year", hours: 24 * 365 },
] as const;
const MAX_USES_LIMIT = 100_000;

/** The README's one line, for this server and this token. */
export function installLine(token: string): string {
  return `curl -fsSL ${window.location.origin}/install/agent.sh | sudo OUTPOST_TOKEN=${token} sh`;
}

export function GenerateTokenDialog({ onClose }: { onClose: () => void }) {
  const { api } = useSession();
  const notify = useToast();
  const [name, setName] = useState("");
  const [expiryHours, setExpiryHours] = useState<number>(EXPIRIES[0].hours);
  const [maxUses, setMaxUses] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedToken | null>(null);

  async function generate(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      setError("Give the token a name.");
      return;
    }
    const uses = maxUses.trim() === "" ? undefined : Number(maxUses.trim());
    if (uses !== undefined && !(Number.isInteger(uses) && uses >= 1 && uses <= MAX_USES_LIMIT)) {
      setError(`Max registrations must be a whole number from 1 to ${MAX_USES_LIMIT}, or empty for no limit (got "${maxUses.trim()}").`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const expiresAt = new Date(Date.now() + expiryHours * 3_600_000).toISOString();
      setCreated(
        await api.send<CreatedToken>("POST", "/tokens", { name: name.trim(), scopes: ["agents:register"], expires_at: expiresAt, ...(uses !== undefined ? { max_uses: uses } : {}) }),
      );
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
        <p className="muted">
          Registers agents until {new Date(created.expires_at!).toLocaleString()}
          {created.max_uses !== null ? `, at most ${created.max_uses} ${created.max_uses === 1 ? "agent" : "agents"}` : ""}.
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
        <label htmlFor="token-expiry">Expires in</label>
        <select id="token-expiry" value={expiryHours} onChange={(e) => setExpiryHours(Number(e.target.value))}>
          {EXPIRIES.map((x) => (
            <option key={x.hours} value={x.hours}>
              {x.label}
            </option>
          ))}
        </select>
        <label htmlFor="token-max-uses">Max registrations</label>
        <input id="token-max-uses" inputMode="numeric" value={maxUses} onChange={(e) => setMaxUses(e.target.value)} placeholder="No limit" />
        <DialogFormActions error={error} submitLabel={busy ? "Generating…" : "Generate"} busy={busy} onCancel={onClose} />
      </form>
    </Dialog>
  );
}
