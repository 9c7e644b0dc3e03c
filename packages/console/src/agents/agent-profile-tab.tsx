/**
 * The agent panel's Profile tab: description, autonomy level, models, skills and tools, container
 * profile, soul and rules rendered as Markdown; "Edit profile" turns it into a form (PATCH
 * /agents/:id) with a container profile picker and Markdown editors that preview as you type.
 */
import { useState, type FormEvent } from "react";
import { AUTONOMY_LEVELS, type AutonomyLevel } from "@outpost/shared";
import { useSession } from "../auth/session";
import { errorText } from "../api/client";
import { useLoad } from "../api/use-paged-list";
import type { Agent, ContainerProfile } from "../api/types";
import { Markdown } from "../components/markdown";
import { Fact } from "../components/fact";

export const AUTONOMY_LABEL: Record<AutonomyLevel, string> = {
  ask_before_acting: "Ask before acting",
  act_within_scope: "Act within scope",
  full_autonomy: "Full autonomy",
};

/** The container profiles an agent of this org may pick (active ones), name order. */
export function useContainerProfiles(org?: string) {
  const { api } = useSession();
  return useLoad(() => api.list<ContainerProfile>("/container-profiles", { archived: "active", sort: "name", limit: 200, org }), `container-profiles:${org ?? ""}`);
}

export function ProfileTab({ agent, onSaved }: { agent: Agent; onSaved: () => void }) {
  const [editing, setEditing] = useState(false);
  if (editing) return <ProfileForm agent={agent} onDone={(saved) => (setEditing(false), saved && onSaved())} />;
  const cp = agent.container_profile;
  return (
    <div className="profile">
      <div className="profile-head">
        <dl className="facts">
          <Fact label="Description">{agent.description || <span className="muted">None</span>}</Fact>
          <Fact label="Autonomy level">{AUTONOMY_LABEL[agent.autonomy_level]}</Fact>
          <Fact label="Models">{agent.models.length ? agent.models.join(", ") : <span className="muted">None</span>}</Fact>
          <Fact label="Container profile">
            {cp ? (
              <>
                {cp.name} <span className="mono small muted">{cp.docker_image}</span>
              </>
            ) : (
              <span className="muted">None</span>
            )}
          </Fact>
        </dl>
        {!agent.archived && (
          <button type="button" className="btn btn-small" onClick={() => setEditing(true)}>
            Edit profile
          </button>
        )}
      </div>
      <section aria-labelledby="profile-skills">
        <h3 id="profile-skills">Skills and tools</h3>
        {agent.skills.length === 0 ? (
          <p className="muted">No skills assigned.</p>
        ) : (
          <ul className="module-list">
            {agent.skills.map((s) => (
              <li key={s.id} className="module-card">
                <div className="module-card-head">
                  <strong>{s.name}</strong> <span className="muted small">{s.scope.replace(/_/g, " ")}</span>
                </div>
                {s.tools.length > 0 && (
                  <ul className="function-list" aria-label={`Tools of ${s.name}`}>
                    {s.tools.map((t) => (
                      <li key={t.id} title={t.description || t.name}>
                        {t.name} <span className="muted small">({t.install_method})</span>
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <div className="profile-docs">
        <MarkdownDoc id="profile-soul" title="Soul" source={agent.soul_md} empty="No soul defined." />
        <MarkdownDoc id="profile-rules" title="Rules" source={agent.rules_md} empty="No rules defined." />
      </div>
    </div>
  );
}

function MarkdownDoc({ id, title, source, empty }: { id: string; title: string; source: string; empty: string }) {
  return (
    <section className="profile-doc" aria-labelledby={id}>
      <h3 id={id}>{title}</h3>
      {source.trim() ? (
        <Markdown source={source} />
      ) : (
        <p className="muted">{empty}</p>
      )}
    </section>
  );
}

function ProfileForm({ agent, onDone }: { agent: Agent; onDone: (saved: boolean) => void }) {
  const { api } = useSession();
  const profiles = useContainerProfiles();
  const [description, setDescription] = useState(agent.description);
  const [autonomy, setAutonomy] = useState<AutonomyLevel>(agent.autonomy_level);
  const [models, setModels] = useState(agent.models.join("\n"));
  const [profileId, setProfileId] = useState(agent.container_profile_id ?? "");
  const [soul, setSoul] = useState(agent.soul_md);
  const [rules, setRules] = useState(agent.rules_md);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The agent's own profile stays pickable even once archived; other archived ones are not listed.
  const choices = (profiles.data?.items ?? []).filter((p) => p.org_id === agent.org_id);
  if (agent.container_profile && !choices.some((p) => p.id === agent.container_profile!.id)) choices.push({ ...agent.container_profile } as ContainerProfile);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.send("PATCH", `/agents/${encodeURIComponent(agent.id)}`, {
        description,
        autonomy_level: autonomy,
        models: models
          .split("\n")
          .map((m) => m.trim())
          .filter(Boolean),
        container_profile_id: profileId || null,
        soul_md: soul,
        rules_md: rules,
      });
      onDone(true);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }

  return (
    <form className="profile-form" onSubmit={submit} noValidate aria-label="Edit profile">
      <div className="profile-form-grid">
        <div>
          <label htmlFor="profile-description">Description</label>
          <textarea id="profile-description" rows={2} maxLength={2000} value={description} onChange={(e) => setDescription(e.target.value)} />
        </div>
        <div>
          <label htmlFor="profile-autonomy">Autonomy level</label>
          <select id="profile-autonomy" value={autonomy} onChange={(e) => setAutonomy(e.target.value as AutonomyLevel)}>
            {AUTONOMY_LEVELS.map((l) => (
              <option key={l} value={l}>
                {AUTONOMY_LABEL[l]}
              </option>
            ))}
          </select>
          <label htmlFor="profile-container">Container profile</label>
          <select id="profile-container" value={profileId} onChange={(e) => setProfileId(e.target.value)}>
            <option value="">None</option>
            {choices.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.docker_image})
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="profile-models">Models (one per line)</label>
          <textarea id="profile-models" rows={3} value={models} onChange={(e) => setModels(e.target.value)} />
        </div>
      </div>
      <div className="profile-docs">
        <MarkdownEditor id="profile-soul-md" label="Soul (Markdown)" value={soul} onChange={setSoul} />
        <MarkdownEditor id="profile-rules-md" label="Rules (Markdown)" value={rules} onChange={setRules} />
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="btn" onClick={() => onDone(false)}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? "Saving…" : "Save profile"}
        </button>
      </div>
    </form>
  );
}

function MarkdownEditor({ id, label, value, onChange }: { id: string; label: string; value: string; onChange: (v: string) => void }) {
  return (
    <div className="profile-doc">
      <label htmlFor={id}>{label}</label>
      <textarea id={id} className="mono" rows={8} value={value} onChange={(e) => onChange(e.target.value)} />
      {value.trim() && (
        <div className="markdown-preview" role="region" aria-label={`${label} preview`}>
          <Markdown source={value} />
        </div>
      )}
    </div>
  );
}
