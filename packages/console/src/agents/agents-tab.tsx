/** All Agents: filters, the table, Load more, bulk actions and the confirmed Archive/Restore. */
import { useState } from "react";
import { useSession } from "../auth/session";
import { errorText } from "../api/client";
import type { Agent } from "../api/types";
import { ConfirmDialog } from "../components/dialog";
import { ListStates } from "../components/states";
import { LoadMore, TableWrap, type SortState } from "../components/table-parts";
import { useToast } from "../components/toast";
import { AgentsFilters } from "./agents-filters";
import { AgentsTable } from "./agents-table";
import { BulkActions } from "./bulk-actions";
import { useAgents, type AgentFilters, type AgentSort } from "./use-agents";

interface Props {
  openAgentId: string | null;
  onOpenAgent: (id: string) => void;
}

export function AgentsTab({ openAgentId, onOpenAgent }: Props) {
  const { api } = useSession();
  const notify = useToast();
  const [filters, setFilters] = useState<AgentFilters>({ searchBy: "name", q: "", archived: "active", pool: "any", org: "", autonomy: "", containerProfile: "", label: "" });
  const [sort, setSort] = useState<SortState<AgentSort>>({ sort: "name", order: "asc" });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirming, setConfirming] = useState<Agent | null>(null);
  const [busy, setBusy] = useState(false);
  const list = useAgents(filters, sort);

  function changeFilters(next: AgentFilters) {
    // The reference: changing Archive status clears the row selection.
    if (next.archived !== filters.archived) setSelected(new Set());
    setFilters(next);
  }

  async function archiveOrRestore(agent: Agent) {
    const restore = agent.archived;
    setBusy(true);
    try {
      await api.send<Agent>("POST", `/agents/${agent.id}/${restore ? "reinstate" : "retire"}`);
      notify("success", `${agent.name} ${restore ? "restored" : "archived"}.`);
      await list.refreshAgent(agent.id);
    } catch (err) {
      notify("error", `Could not ${restore ? "restore" : "archive"} ${agent.name}: ${errorText(err)}`);
    } finally {
      setBusy(false);
      setConfirming(null);
    }
  }

  /** Pause keeps the agent registered but gives it no new jobs; running ones finish. Not confirmed: Resume undoes it. */
  async function pauseOrResume(agent: Agent) {
    const resume = agent.paused;
    try {
      await api.send<Agent>("POST", `/agents/${agent.id}/${resume ? "resume" : "pause"}`);
      notify("success", resume ? `${agent.name} resumed: it takes new jobs again.` : `${agent.name} paused: it takes no new jobs; running ones finish.`);
      await list.refreshAgent(agent.id);
    } catch (err) {
      notify("error", `Could not ${resume ? "resume" : "pause"} ${agent.name}: ${errorText(err)}`);
    }
  }

  const filtered = Boolean(filters.q.trim()) || filters.archived !== "active" || filters.pool !== "any" || Boolean(filters.org);
  return (
    <section aria-label="All Agents">
      <AgentsFilters filters={filters} onChange={changeFilters} updatedAt={list.updatedAt} refreshing={list.loading && list.items.length > 0} />
      {selected.size > 0 && <BulkActions selected={[...selected]} org={filters.org} onClear={() => setSelected(new Set())} onDone={list.reload} />}
      <ListStates list={list} loadingLabel="Loading agents…" emptyTitle={filtered ? "No agents match these filters." : "No agents yet."}>
        {filtered ? "Change the search or filters to see more." : "Generate a token and start an agent with it to see it here."}
      </ListStates>
      {list.items.length > 0 && (
        <TableWrap label="Agents">
          <AgentsTable
            agents={list.items}
            sort={sort}
            onSort={setSort}
            selected={selected}
            onSelect={setSelected}
            openAgentId={openAgentId}
            onOpen={onOpenAgent}
            onArchive={setConfirming}
            onPause={(agent) => void pauseOrResume(agent)}
          />
        </TableWrap>
      )}
      <LoadMore hasMore={Boolean(list.nextCursor)} loading={list.loadingMore} onClick={list.loadMore} />
      {list.searching && list.loadingMore && <p className="muted small">Loading more matches…</p>}
      {confirming && (
        <ConfirmDialog
          title={confirming.archived ? "Restore agent?" : "Archive agent?"}
          message={
            confirming.archived
              ? `${confirming.name} will be able to receive job assignments again.`
              : `${confirming.name} will no longer receive job assignments. You can restore it later.`
          }
          confirmLabel={confirming.archived ? "Restore Agent" : "Archive Agent"}
          danger={!confirming.archived}
          busy={busy}
          onConfirm={() => void archiveOrRestore(confirming)}
          onCancel={() => setConfirming(null)}
        />
      )}
    </section>
  );
}
