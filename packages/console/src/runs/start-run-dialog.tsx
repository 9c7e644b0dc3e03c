/**
 * Start a run: pick a module (and version) and a function, fill the form generated from the
 * function's input schema, optionally a pool, and POST /api/v1/jobs. The console's requests say
 * they come from the console, so the run is `manual`, by the signed-in user.
 */
import { useMemo, useState, type FormEvent } from "react";
import type { ModuleVersion } from "@outpost/shared";
import { useSession } from "../auth/session";
import { errorText } from "../api/client";
import { useLoad } from "../api/use-paged-list";
import type { Job } from "../api/types";
import { Dialog, DialogFormActions } from "../components/dialog";
import { PoolSelect } from "../components/pool-select";
import { buildInputs, initialValues, schemaFields, SchemaForm, type SchemaValues } from "../components/schema-form";

interface Props {
  onStarted: (job: Job) => void;
  onClose: () => void;
}

export function StartRunDialog({ onStarted, onClose }: Props) {
  const { api } = useSession();
  const modules = useLoad(() => api.list<ModuleVersion>("/modules", { limit: 100, sort: "inserted_at", order: "desc" }), "modules");
  const [name, setName] = useState("");
  const [version, setVersion] = useState("");
  const [fnName, setFnName] = useState("");
  const [poolId, setPoolId] = useState("");
  const [values, setValues] = useState<SchemaValues>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // Newest version first, as the list answers them.
  const versions = (modules.data?.items ?? []).filter((m) => m.name === name);
  const names = [...new Set((modules.data?.items ?? []).map((m) => m.name))].sort();
  const mod = versions.find((m) => m.version === version) ?? versions[0];
  const fn = mod?.functions.find((f) => f.name === fnName);
  const fields = useMemo(() => (fn ? schemaFields(fn.input_schema) : []), [fn]);

  function pickModule(next: string) {
    setName(next);
    setVersion("");
    pickFunction("", undefined);
  }
  function pickFunction(next: string, m = mod) {
    setFnName(next);
    const f = m?.functions.find((x) => x.name === next);
    setValues(f ? initialValues(f.input_schema) : {});
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!mod || !fn) {
      setError("Pick a module and a function.");
      return;
    }
    const built = buildInputs(fields, values);
    if ("error" in built) {
      setError(built.error);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const job = await api.send<Job>("POST", "/jobs", { module: mod.name, version: mod.version, function: fn.name, inputs: built.inputs, ...(poolId ? { pool_id: poolId } : {}) });
      onStarted(job);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }

  return (
    <Dialog title="Start a run" onClose={onClose} wide>
      <form onSubmit={submit} noValidate aria-label="Start a run">
        <div className="form-grid">
          <div>
            <label htmlFor="start-module">
              Module <span aria-hidden="true">*</span>
            </label>
            <select id="start-module" value={name} onChange={(e) => pickModule(e.target.value)} autoFocus>
              <option value="">{modules.loading ? "Loading modules…" : "Choose a module…"}</option>
              {names.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="start-version">Version</label>
            <select
              id="start-version"
              value={mod?.version ?? ""}
              disabled={!mod}
              onChange={(e) => {
                setVersion(e.target.value);
                pickFunction(fnName, versions.find((m) => m.version === e.target.value));
              }}
            >
              {versions.map((m) => (
                <option key={m.version} value={m.version}>
                  {m.version}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="start-function">
              Function <span aria-hidden="true">*</span>
            </label>
            <select id="start-function" value={fnName} disabled={!mod} onChange={(e) => pickFunction(e.target.value)}>
              <option value="">Choose a function…</option>
              {mod?.functions.map((f) => (
                <option key={f.name} value={f.name}>
                  {f.display_name} ({f.name})
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="start-pool">Pool</label>
            <PoolSelect id="start-pool" value={poolId} emptyLabel="Any agent" onChange={setPoolId} />
          </div>
        </div>
        {modules.error && <p className="form-error">{modules.error}</p>}
        {fn && (
          <>
            <h3 className="form-section-title">Inputs</h3>
            <SchemaForm fields={fields} values={values} onChange={setValues} />
          </>
        )}
        <DialogFormActions error={error} submitLabel={busy ? "Starting…" : "Start run"} busy={busy || !fn} onCancel={onClose} />
      </form>
    </Dialog>
  );
}
