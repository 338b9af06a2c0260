#!/usr/bin/env python3
"""Writes a realistic automagik executor log and the ledger it must produce (truth.json).

Independent of RunLedger: it knows the executor's formats (shared/executor-log-formats.md), not
RunLedger's code. Runs of the three releases (22e45cbe with both bugs, the 0d0f7a83 fix, the July 2025
stream-json executor) run concurrently: their start lines, status polls and access logs interleave,
while each run's worker thread writes its id-less metric burst in one piece, as the executor does.

    tools/gen-executor-log.py --runs 300 --seed 7 --log out.log --truth truth.json [--envelopes mixed]
"""
import argparse
import json
import random
import uuid
from datetime import datetime, timedelta

INFO, WARN, ERR, DEBUG = "📝 \x1b[92m", "⚠️ \x1b[93m", "❌ \x1b[91m", "🔍 \x1b[94m"
RESET = "\x1b[0m"
WORKFLOWS = ["builder", "guardian", "surgeon", "shipper", "lina", "genie", "brain", "claude", "flashinho_thinker"]
TOOLS = ["Write", "Read", "Edit", "MultiEdit", "LS", "Glob", "Grep", "Bash", "TodoWrite", "WebFetch", "Task",
         "NotebookRead", "mcp__agent-memory__search_memory_nodes", "mcp__agent-memory__add_memory",
         "mcp__git__git_status"]


class Log:
    def __init__(self, rng, envelopes):
        self.rng = rng
        self.envelopes = envelopes
        self.lines = []
        self.clock = datetime(2025, 6, 19, 18, 0, 0)
        self.malformed = 0

    def tick(self):
        self.clock += timedelta(milliseconds=self.rng.randint(1, 40))

    def emit(self, logger, level, message, deco=INFO):
        """One executor record, in the verbose file format, or (mixed) message-only or journalctl short."""
        self.tick()
        body = f"{deco}{message}{RESET}"
        mode = "verbose"
        if self.envelopes == "mixed":
            mode = self.rng.choices(["verbose", "plain", "journal"], [6, 1, 2])[0]
        if mode == "plain":
            self.lines.append(body)
        elif mode == "journal":
            self.lines.append(f"{self.clock.strftime('%b %d %H:%M:%S')} agents-host python[48211]: {body}")
        else:
            stamp = self.clock.strftime("%Y-%m-%d %H:%M:%S,") + f"{self.clock.microsecond // 1000:03d}"
            self.lines.append(f"{stamp} - {logger} - {level} - {body}")

    def access(self, method, path):
        self.tick()
        port = self.rng.randint(30000, 65000)
        self.lines.append(f'INFO:     127.0.0.1:{port} - "{method} {path} HTTP/1.1" 200 OK')

    def raw(self, line, malformed=False):
        self.tick()
        self.lines.append(line)
        self.malformed += malformed


def cost_text(cents):
    return f"{cents / 10000:.4f}"


class Run:
    """One workflow run: its truth, and the chunks of lines its threads write."""

    def __init__(self, rng, era, pkg):
        self.rng, self.era, self.pkg = rng, era, pkg
        self.run_id, self.db_id, self.session = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
        self.workflow = rng.choice(WORKFLOWS)
        self.ended = False
        self.polls_after_end = False
        scenarios = {"bug": (["ok", "taskgroup_after_work", "taskgroup_no_work"], [6, 3, 1]),
                     "fixed": (["ok", "taskgroup_preserved", "zero_tokens_reported"], [6, 2, 1]),
                     "head": (["stream_json", "counts_only"], [3, 2])}[era]
        self.scenario = rng.choices(*scenarios)[0]
        no_work = self.scenario == "taskgroup_no_work"
        self.cost = 0 if no_work or self.scenario == "taskgroup_after_work" else rng.randint(500, 30000)
        self.turns = 0 if no_work else rng.randint(1, 30)
        self.uses = [] if no_work else [rng.choice(TOOLS) for _ in range(rng.randint(1, 7))]
        self.taskgroup = self.scenario.startswith("taskgroup")
        self.status = "failed" if self.scenario in ("taskgroup_after_work", "taskgroup_no_work") else "completed"
        self.tokens = None
        if era != "bug":
            self.tokens = {"input": rng.randint(100, 5000), "output": rng.randint(100, 20000),
                           "cache_creation": rng.randint(1000, 30000), "cache_read": rng.randint(1000, 170000)}

    def truth(self):
        total = sum(self.tokens.values()) if self.tokens else 0
        distinct = list(dict.fromkeys(self.uses))
        names_known = self.scenario != "counts_only"
        ledger = {"cost": self.cost, "tokens": total, "turns": self.turns, "tools": len(distinct)}
        if self.era == "bug":
            reported = {"cost": 0, "tokens": 0, "turns": 0, "tools": 0}
        elif self.scenario == "zero_tokens_reported":
            reported = dict(ledger, tokens=0)
        else:
            reported = ledger
        mismatch = sorted(f for f in ledger if ledger[f] > 0 and reported[f] == 0) if self.polls_after_end else []
        t = {"run_id": self.run_id, "workflow": self.workflow, "era": self.era, "scenario": self.scenario,
             "status": self.status, "cost_usd": self.cost / 10000, "turns": self.turns, "total_tokens": total,
             "tools": distinct if names_known else None, "tool_uses": len(self.uses) if names_known else None,
             "taskgroup_error": self.taskgroup,
             "false_failure": self.status == "failed" and self.taskgroup and (self.turns > 0 or bool(self.uses) or self.cost > 0),
             "mismatch_log": mismatch}
        if self.tokens and self.era != "bug":
            t["input_tokens"], t["output_tokens"] = self.tokens["input"], self.tokens["output"]
        return t

    # -- what the threads write ---------------------------------------------------------------

    def start(self, log):
        a = f"{self.pkg}.agents.claude_code"
        log.access("POST", f"/api/v1/workflows/claude-code/run/{self.workflow}?persistent=true")
        log.emit(f"{a}.agent", "INFO", f"Created workflow run record {self.db_id} for run_id {self.run_id}")
        if self.era == "head":
            s = f"{a}.sdk_execution_strategies"
            log.emit(s, "INFO", f"SDK Executor: Starting stream-json execution for run_id: {self.run_id}, session: {self.session}")
            log.emit(s, "INFO", f"Created individual log file: {self.workflow}_{self.session}.log")
        else:
            wt = f"/srv/agents/worktrees/builder_run_{self.session}"
            log.emit(f"{a}.cli_environment", "INFO", f"Created worktree workspace: {wt} on branch builder/run_{self.session}")
            log.emit(f"{a}.sdk_executor", "INFO", f"Loaded system prompt from {wt}/prompt.md ({self.rng.randint(500, 9000)} chars)")

    def poll(self, log):
        if self.era == "bug" or not self.ended:
            c, k, n, u = "0.0000", 0, 0, 0
        else:
            c, k, n, u = cost_text(self.cost), sum(self.tokens.values()), self.turns, len(set(self.uses))
            if self.scenario == "zero_tokens_reported":
                k = 0
        log.access("GET", f"/api/v1/workflows/claude-code/run/{self.run_id}/status")
        log.emit(f"{self.pkg}.api.routes.claude_code_routes", "INFO",
                 f"Status endpoint for {self.run_id}: Using session metadata - Cost: ${c}, Tokens: {k}, Turns: {n}, Tools: {u}")

    def burst(self, log, interleave):
        """The worker thread's id-less lines, then its end anchor; `interleave` may write other threads' lines."""
        x = f"{self.pkg}.agents.claude_code.sdk_executor"
        lines = []
        if self.era == "head":
            s = f"{self.pkg}.agents.claude_code.sdk_execution_strategies"
            tool_turns = {}
            for i, tool in enumerate(self.uses):
                tool_turns.setdefault(self.rng.randint(0, max(0, self.turns - 1)), []).append((tool, f"toolu_{uuid.uuid4().hex[:20]}"))
            for turn in range(self.turns):
                if self.scenario == "stream_json":
                    blocks = [{"type": "text", "text": f"step {turn}"}] + [
                        {"type": "tool_use", "id": tid, "name": name, "input": {"path": f"/tmp/f{turn}.py"}}
                        for name, tid in tool_turns.get(turn, [])]
                    msg = {"type": "assistant", "message": {"id": f"msg_{uuid.uuid4().hex[:20]}", "role": "assistant",
                           "content": blocks, "usage": {"input_tokens": 3, "output_tokens": 50}}, "session_id": self.session}
                    lines.append((s, "DEBUG", "Claude output: " + json.dumps(msg, separators=(",", ":")), DEBUG))
                lines.append((f"{self.pkg}.agents.claude_code.sdk_progress_tracker", "INFO", f"🔄 Turn {turn + 1} - AssistantMessage received", INFO))
            tk = self.tokens
            total = sum(tk.values())
            if self.scenario == "stream_json":
                result = {"type": "result", "subtype": "success", "is_error": False, "duration_ms": 1000, "num_turns": self.turns,
                          "result": "Done.", "session_id": self.session, "total_cost_usd": self.cost / 10000,
                          "usage": {"input_tokens": tk["input"], "cache_creation_input_tokens": tk["cache_creation"],
                                    "cache_read_input_tokens": tk["cache_read"], "output_tokens": tk["output"]}}
                lines.append((s, "DEBUG", "Claude output: " + json.dumps(result, separators=(",", ":")), DEBUG))
            lines += [
                (f"{self.pkg}.agents.claude_code.sdk_message_processor", "INFO",
                 f"📊 Token usage - Input: {tk['input']}, Output: {tk['output']}, Cache: {tk['cache_creation'] + tk['cache_read']}, Total: {total}", INFO),
                (s, "INFO", f"SDK Executor: Completed successfully - Turns: {self.turns}, Tokens: {total}, Tools: {len(set(self.uses))}", INFO),
                (f"{self.pkg}.agents.claude_code.sdk_metrics_handler", "INFO", f"Persisted metrics to database for run {self.run_id}", INFO),
                (f"{self.pkg}.agents.claude_code.sdk_metrics_handler", "INFO", f"  - Cost: ${cost_text(self.cost)}", INFO),
                (f"{self.pkg}.agents.claude_code.sdk_metrics_handler", "INFO", f"  - Tokens: {total} total", INFO),
                (f"{self.pkg}.agents.claude_code.sdk_metrics_handler", "INFO", f"  - Tools: {len(set(self.uses))} used", INFO),
                (s, "INFO", f"Updated workflow_runs table for {self.run_id} to {self.status}", INFO),
            ]
        else:
            if self.cost:
                lines.append((x, "INFO", f"SDK Executor: Captured final metrics during streaming - Cost: ${cost_text(self.cost)}, Turns: {self.turns}", INFO))
            if self.taskgroup:
                lines.append((x, "INFO", "SDK Executor: TaskGroup error in thread pool context (expected): unhandled errors in a TaskGroup (1 sub-exception)", INFO))
            lines.append((x, "INFO", f"SDK Executor: Processing {self.turns * 2 + len(self.uses)} collected messages for data extraction", INFO))
            for tool in self.uses:
                lines.append((x, "INFO", f"SDK Executor: Captured tool usage - {tool} (id: toolu_{uuid.uuid4().hex[:24]})", INFO))
            if self.scenario == "taskgroup_after_work":
                lines.append((x, "INFO", f"SDK Executor: Correcting turn count from 0 to {self.turns} based on actual AssistantMessages", INFO))
            if self.status == "failed":
                lines.append((x, "ERROR", "SDK Executor: Marking execution as failed due to TaskGroup conflict", ERR))
            if self.scenario == "taskgroup_preserved":
                lines += [(x, "WARNING", "SURGICAL SUCCESS: TaskGroup conflict occurred but preserving substantial completed work", WARN),
                          (x, "INFO", f"  - Tools executed: {len(self.uses)}", INFO),
                          (x, "INFO", f"  - Turns completed: {self.turns}", INFO),
                          (x, "INFO", f"  - Cost incurred: ${cost_text(self.cost)}", INFO),
                          (x, "INFO", f"  - Messages exchanged: {self.turns * 2}", INFO)]
            listed = "[" + ", ".join(f"'{t}'" for t in self.uses) + "]"
            lines.append((x, "INFO", f"SDK Executor: Final tool extraction results - {len(self.uses)} tools captured: {listed}", INFO))
            if self.era == "fixed":
                tk = self.tokens
                lines += [(x, "INFO", f"SURGICAL SUCCESS: Persisted metrics to database for run {self.run_id}", INFO),
                          (x, "INFO", f"  - Cost: ${cost_text(self.cost)}", INFO),
                          (x, "INFO", f"  - Tokens: {sum(tk.values())} total ({tk['input']} in, {tk['output']} out)", INFO),
                          (x, "INFO", f"  - Status: {self.status}", INFO)]
            lines.append((f"{self.pkg}.agents.claude_code.agent", "INFO",
                          f"Updated session {uuid.uuid4()} with final status: {self.status} (workflow_run_id: {self.db_id})", INFO))
        for i, (logger, level, message, deco) in enumerate(lines):
            log.emit(logger, level, message, deco)
            # Other threads' id-bearing lines may fall inside a burst, but not between an
            # indented continuation and its header, nor inside the end anchor's tail.
            if i + 1 < len(lines) and not lines[i + 1][2].startswith("  - "):
                interleave()
        self.ended = True
        a = f"{self.pkg}.agents.claude_code.agent"
        ok = self.status == "completed"
        if self.era != "head":
            log.emit(a, "INFO", f"Updated workflow run record {self.db_id} with final execution data")
        log.emit(a, "INFO", f"Background workflow {self.workflow} completed: {ok}")
        if self.era != "head":
            log.emit(a, "INFO", f"📝 AUTO-COMMIT: Checking conditions - Success: {ok}, Has executor: True, Has env_mgr: True")
            if ok:
                log.emit(a, "INFO", f"📝 AUTO-COMMIT: ✅ SUCCESS for run {self.run_id}: {uuid.uuid4().hex}{uuid.uuid4().hex[:8]}")
            else:
                log.emit(a, "INFO", "📝 AUTO-COMMIT: ⏭️  SKIPPED - Conditions not met")
                log.raw(f"{log.clock.strftime('%Y-%m-%d %H:%M:%S')},000 - asyncio - ERROR - Task exception was never retrieved")
                log.raw("  | BaseExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception)")


def generate(n_runs, seed, envelopes):
    rng = random.Random(seed)
    uuid.uuid4 = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)
    log = Log(rng, envelopes)
    runs = []
    eras = [("bug", "src"), ("fixed", "src"), ("head", "automagik")]
    per_era = [n_runs // 3, n_runs // 3, n_runs - 2 * (n_runs // 3)]
    for (era, pkg), count in zip(eras, per_era):
        log.emit(f"{pkg}.__main__", "INFO", "Starting Automagik Agents API")
        pending = [Run(rng, era, pkg) for _ in range(count)]
        active, done = [], []
        concurrency = 1 if era == "head" else 4

        def noise():
            choice = rng.random()
            if choice < 0.25 and active:
                rng.choice(active).poll(log)
            elif choice < 0.35 and done:
                r = rng.choice(done)
                r.poll(log)
                r.polls_after_end = True
            elif choice < 0.45 and pending and len(active) < concurrency and era != "head":
                r = pending.pop(0)  # a new run starts while another run's burst is being written
                r.start(log)
                active.append(r)
            elif choice < 0.50 and envelopes == "mixed":
                log.raw(f"{log.clock.strftime('%b %d %H:%M:%S')} agents-host python[48211]: [{rng.randint(90, 200)}B blob data]", malformed=True)

        while pending or active:
            while pending and len(active) < concurrency:
                r = pending.pop(0)
                r.start(log)
                active.append(r)
                noise()
            r = active.pop(rng.randrange(len(active)))
            r.burst(log, noise if era != "head" else (lambda: None))
            done.append(r)
            for _ in range(rng.randint(0, 2)):
                r.poll(log)
                r.polls_after_end = True
            noise()
        runs += done
    # A run cut off by a crash: its last line has no colour reset; the executor restarts.
    log.raw(f"{log.clock.strftime('%Y-%m-%d %H:%M:%S')},004 - automagik.agents.claude_code.sdk_executor - INFO - {INFO}SDK Executor: Completed successfully - Turns: 3, Tok", malformed=True)
    log.emit("automagik.__main__", "INFO", "Starting Automagik Agents API")
    return log, runs


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--envelopes", choices=["verbose", "mixed"], default="verbose")
    p.add_argument("--log", required=True)
    p.add_argument("--truth", required=True)
    a = p.parse_args()
    log, runs = generate(a.runs, a.seed, a.envelopes)
    with open(a.log, "w", encoding="utf-8") as f:
        f.write("\n".join(log.lines) + "\n")
    truth = {r.run_id: r.truth() for r in runs}
    totals = {"runs": len(truth), "cost_usd": round(sum(t["cost_usd"] for t in truth.values()), 4),
              "turns": sum(t["turns"] for t in truth.values()),
              "total_tokens": sum(t["total_tokens"] for t in truth.values()),
              "false_failures": sum(t["false_failure"] for t in truth.values()),
              "lines": len(log.lines), "malformed_lines": log.malformed}
    with open(a.truth, "w", encoding="utf-8") as f:
        json.dump({"totals": totals, "runs": truth}, f, indent=1)


if __name__ == "__main__":
    main()
