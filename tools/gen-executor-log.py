#!/usr/bin/env python3
"""Writes a realistic automagik executor log and the ledger it must produce (truth.json).

Independent of RunLedger: it knows the executor's formats (shared/executor-formats-audit.md, read
against the executor's source at the commits below), not RunLedger's code. Each era is one process
lifetime of one release ("Starting Automagik Agents API"); inside it runs run concurrently: start lines,
status polls and access logs interleave, while each run's worker thread writes its id-less metric burst
in one piece (stream-json runs excepted: their output lines interleave, as two asyncio readers do).

    tools/gen-executor-log.py --runs 300 --seed 7 --log out.log --truth truth.json \
        [--envelopes verbose|mixed] [--eras bug,fixed,m1,b1,head,head_stream]

Eras (every line is the rendered f-string of that release; no executor code is copied here):

  era          commits (representative)        path / lines written                    source files read
  bug          22e45cbe (2025-06-19)            agent.execute_workflow_background ->    src/agents/claude_code/sdk_executor.py
                                                execute_claude_task: A1 A3 A12 A17 A19  (execute_claude_task), agent.py,
                                                A7, Updated session (wf_run_id W), C5   api/routes/claude_code_routes.py
  fixed        0d0f7a83 (2025-06-19)            as bug + A11/A30 + A31 (SURGICAL        same files @0d0f7a83
                                                SUCCESS: Persisted metrics ... for run)
  m1           942c33c9 -> 15922818             route creates the row, agent's insert   src/api/routes/claude_code_routes.py
               (rendered from b895022b,         fails (WARNING ... already exists),     (run_claude_workflow), agent.py
               2025-06-21)                      end line (workflow_run_id: None).       (execute_workflow_background),
                                                isolator path: Forcing thread pool,     execution_isolator.py
                                                Isolator: Starting ... for R, A14 A22   (execute_in_thread_pool,
                                                A25, A10 + SDK execution failed,        _run_in_isolated_thread),
                                                Stored subprocess PID ... for R.        sdk_executor.py
                                                main path (taken while another run      (_execute_claude_task_simple,
                                                holds CLAUDE_SDK_ISOLATED=true, a       execute_claude_task),
                                                process-wide env flag): A1 A4 A9 A12    workflow_queue.py
                                                A19 A11/A30 A8 A17 A31.                 (_process_workflow: C7)
                                                queue segment (USE_WORKFLOW_QUEUE=true):
                                                Submitted workflow R ..., Worker ...
                                                processing/completed workflow R (C7).
  b1           15922818 -> 57e89ef4             agent path; Starting simple execution   automagik/agents/claude_code/
               (rendered from e6b20970,         for run_id R; Registered workflow       sdk_execution_strategies.py
               2025-07-09, after fba3d7ff)      process; A15 (DEBUG); B1 without        (execute_simple),
                                                Tokens (M2); Successfully updated       sdk_metrics_handler.py,
                                                workflow_runs table; Marked process;    sdk_process_manager.py
                                                Updated workflow_runs table for R to S; (terminate_process), agent.py
                                                B4; (workflow_run_id: None); C2; kill   (C2), api/routes (kill)
  head         57e89ef4 -> 71dececf             REST bypasses the agent (route calls    sdk_execution_strategies.py,
               (rendered from 71dececf)         the SDK executor): Received message k,  sdk_progress_tracker.py (B5 B6
                                                B5 B7 B10(DEBUG) B8 B6, A15(DEBUG), B2, B7), sdk_message_processor.py
                                                Processing ResultMessage, B3 (float     (B8 B10), sdk_metrics_handler.py
                                                repr, M5), Marked process, Updated      (B4), sdk_process_manager.py,
                                                workflow_runs table, B4, Workflow R     api/routes/claude_code_routes.py
                                                completed via direct SDK execution; C3; (C3, kill endpoint)
                                                stream error; kill.
  head_stream  d8c24d7f -> 71dececf             input_format=stream-json (M3): Starting _execute_with_stream_input in
               (rendered from 71dececf)         stream-json execution for run_id R,     sdk_execution_strategies.py
                                                Started Claude process with PID,
                                                Starting message queue monitor for R,
                                                DEBUG Claude output: {json}, Claude
                                                process completed successfully / B12,
                                                Workflow R completed via direct SDK
                                                execution. Overlapping runs are marked
                                                attribution_ambiguous; their values
                                                go to totals.unknown_*.

Not written: the ISOLATED variants (A2 A13 A24 A28: _execute_claude_task_isolated has no caller from
942c33c9 to 6abb32f9), C10/C11 (recovery service off by default; C11 needs an exception to escape
_execute_claude_task_simple, which catches everything), B3 before 57e89ef4 (b1 logs it only for dict
messages; the SDK yields dataclasses), C1 (create_async_run, not the workflow REST path).
"""
import argparse
import json
import random
import uuid
from datetime import datetime, timedelta

INFO, WARN, ERR, DEBUG = "📝 \x1b[92m", "⚠️ \x1b[93m", "❌ \x1b[91m", "🔍 \x1b[94m"
RESET = "\x1b[0m"
DECO = {"INFO": INFO, "WARNING": WARN, "ERROR": ERR, "DEBUG": DEBUG}
WORKFLOWS = ["builder", "guardian", "surgeon", "shipper", "lina", "genie", "brain", "claude", "flashinho_thinker"]
TOOLS = ["Write", "Read", "Edit", "MultiEdit", "LS", "Glob", "Grep", "Bash", "TodoWrite", "WebFetch", "Task",
         "NotebookRead", "mcp__agent-memory__search_memory_nodes", "mcp__agent-memory__add_memory",
         "mcp__git__git_status"]
TG_ERROR = "unhandled errors in a TaskGroup (1 sub-exception)"
ALL_ERAS = ["bug", "fixed", "m1", "b1", "head", "head_stream"]
ERA_START = {"bug": datetime(2025, 6, 19, 18, 0, 0), "fixed": datetime(2025, 6, 19, 20, 0, 0),
             "m1": datetime(2025, 6, 21, 19, 30, 0), "b1": datetime(2025, 7, 9, 18, 0, 0),
             "head": datetime(2025, 8, 11, 14, 0, 0), "head_stream": datetime(2025, 8, 11, 20, 0, 0)}
ERA_PKG = {"bug": "src", "fixed": "src", "m1": "src", "b1": "automagik", "head": "automagik", "head_stream": "automagik"}


class Log:
    def __init__(self, rng, envelopes):
        self.rng = rng
        self.envelopes = envelopes
        self.lines = []
        self.clock = datetime(2025, 6, 19, 18, 0, 0)
        self.malformed = 0

    def tick(self):
        self.clock += timedelta(milliseconds=self.rng.randint(1, 40))

    def emit(self, logger, level, message, deco=None):
        """One executor record, in the verbose file format, or (mixed) message-only or journalctl short."""
        self.tick()
        body = f"{deco or DECO[level]}{message}{RESET}"
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


def pyrepr_list(names):
    return "[" + ", ".join(repr(n) for n in names) + "]"


def distinct(names):
    return list(dict.fromkeys(names))


class Run:
    """One workflow run of the 22e45cbe ("bug") or 0d0f7a83 ("fixed") release: its truth, and the
    chunks of lines its threads write (src/agents/claude_code/sdk_executor.py execute_claude_task,
    agent.py execute_workflow_background, api/routes/claude_code_routes.py status endpoint)."""

    polls_have_values = True   # the status-endpoint line exists 2025-06-19..06-22 only

    def __init__(self, rng, era, pkg):
        self.rng, self.era, self.pkg = rng, era, pkg
        self.run_id, self.db_id, self.session = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
        self.workflow = rng.choice(WORKFLOWS)
        self.ended = False
        self.polls_after_end = False
        self.ambiguous = False
        scenarios = {"bug": (["ok", "taskgroup_after_work", "taskgroup_no_work"], [6, 3, 1]),
                     "fixed": (["ok", "taskgroup_preserved", "zero_tokens_reported"], [6, 2, 1])}[era]
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
        names = distinct(self.uses)
        ledger = {"cost": self.cost, "tokens": total, "turns": self.turns, "tools": len(names)}
        if self.era == "bug":
            reported = {"cost": 0, "tokens": 0, "turns": 0, "tools": 0}
        elif self.scenario == "zero_tokens_reported":
            reported = dict(ledger, tokens=0)
        else:
            reported = ledger
        mismatch = sorted(f for f in ledger if ledger[f] > 0 and reported[f] == 0) if self.polls_after_end else []
        # "Captured final metrics ... Turns:" prints final_metrics['num_turns'] (the CLI's); "Correcting
        # turn count from 0 to N" is the executor's own AssistantMessage count.
        turns_source = "result" if self.cost else ("executor" if self.turns else None)
        t = {"run_id": self.run_id, "workflow": self.workflow, "era": self.era, "scenario": self.scenario,
             "status": self.status, "cost_usd": round(self.cost / 10000, 9), "turns": self.turns,
             "turns_source": turns_source, "total_tokens": total,
             # A12 "Captured tool usage" is printed once per new name (M7): distinct names, no use count.
             "tools": names, "tool_uses": None, "tool_count": len(names),
             "taskgroup_error": self.taskgroup,
             "false_failure": self.status == "failed" and self.taskgroup and (self.turns > 0 or bool(self.uses) or self.cost > 0),
             "mismatch_log": mismatch, "attribution_ambiguous": False}
        if self.tokens:
            t["input_tokens"], t["output_tokens"] = self.tokens["input"], self.tokens["output"]
        return t

    def start(self, log):
        a = f"{self.pkg}.agents.claude_code"
        log.access("POST", f"/api/v1/workflows/claude-code/run/{self.workflow}?persistent=true")
        log.emit(f"{a}.agent", "INFO", f"Created workflow run record {self.db_id} for run_id {self.run_id}")
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
        names = distinct(self.uses)
        lines = []
        if self.cost:
            lines.append((x, "INFO", f"SDK Executor: Captured final metrics during streaming - Cost: ${cost_text(self.cost)}, Turns: {self.turns}"))
        if self.taskgroup:
            lines.append((x, "INFO", f"SDK Executor: TaskGroup error in thread pool context (expected): {TG_ERROR}"))
        lines.append((x, "INFO", f"SDK Executor: Processing {self.turns * 2 + len(self.uses)} collected messages for data extraction"))
        for tool in names:  # `if block.name not in tools_used` (M7)
            lines.append((x, "INFO", f"SDK Executor: Captured tool usage - {tool} (id: toolu_{uuid.uuid4().hex[:24]})"))
        if self.scenario == "taskgroup_after_work":
            lines.append((x, "INFO", f"SDK Executor: Correcting turn count from 0 to {self.turns} based on actual AssistantMessages"))
        if self.status == "failed":
            lines.append((x, "ERROR", "SDK Executor: Marking execution as failed due to TaskGroup conflict"))
        if self.scenario == "taskgroup_preserved":
            lines += [(x, "WARNING", "SURGICAL SUCCESS: TaskGroup conflict occurred but preserving substantial completed work"),
                      (x, "INFO", f"  - Tools executed: {len(names)}"),
                      (x, "INFO", f"  - Turns completed: {self.turns}"),
                      (x, "INFO", f"  - Cost incurred: ${cost_text(self.cost)}"),
                      (x, "INFO", f"  - Messages exchanged: {self.turns * 2}")]
        lines.append((x, "INFO", f"SDK Executor: Final tool extraction results - {len(names)} tools captured: {pyrepr_list(names)}"))
        if self.era == "fixed":
            tk = self.tokens
            lines += [(x, "INFO", f"SURGICAL SUCCESS: Persisted metrics to database for run {self.run_id}"),
                      (x, "INFO", f"  - Cost: ${cost_text(self.cost)}"),
                      (x, "INFO", f"  - Tokens: {sum(tk.values())} total ({tk['input']} in, {tk['output']} out)"),
                      (x, "INFO", f"  - Status: {self.status}")]
        lines.append((f"{self.pkg}.agents.claude_code.agent", "INFO",
                      f"Updated session {uuid.uuid4()} with final status: {self.status} (workflow_run_id: {self.db_id})"))
        write_burst(log, lines, interleave)
        self.ended = True
        a = f"{self.pkg}.agents.claude_code.agent"
        ok = self.status == "completed"
        log.emit(a, "INFO", f"Updated workflow run record {self.db_id} with final execution data")
        log.emit(a, "INFO", f"Background workflow {self.workflow} completed: {ok}")
        auto_commit(log, a, ok, self.run_id)


def write_burst(log, lines, interleave):
    for i, (logger, level, message) in enumerate(lines):
        if logger is None:
            log.raw(message)
        else:
            log.emit(logger, level, message)
        # Other threads' id-bearing lines may fall inside a burst, but not between an
        # indented continuation and its header, nor inside the end anchor's tail.
        if i + 1 < len(lines) and not lines[i + 1][2].startswith(("  - ", "  File", "Traceback", "    ")) and lines[i + 1][0] is not None:
            interleave()


def auto_commit(log, a, ok, run_id):
    log.emit(a, "INFO", f"📝 AUTO-COMMIT: Checking conditions - Success: {ok}, Has executor: True, Has env_mgr: True")
    if ok:
        log.emit(a, "INFO", f"📝 AUTO-COMMIT: ✅ SUCCESS for run {run_id}: {uuid.uuid4().hex}{uuid.uuid4().hex[:8]}")
    else:
        log.emit(a, "INFO", "📝 AUTO-COMMIT: ⏭️  SKIPPED - Conditions not met")
        log.raw(f"{log.clock.strftime('%Y-%m-%d %H:%M:%S')},000 - asyncio - ERROR - Task exception was never retrieved")
        log.raw(f"  | BaseExceptionGroup: {TG_ERROR}")


def rand_cost(rng):
    """A float as the CLI's total_cost_usd arrives (full precision: repr prints e.g. 1.2783756999999998)."""
    return rng.randint(500, 30000) / 10000 + rng.randint(1, 99999) / 1e9 + rng.random() * 1e-13


def rand_tokens(rng):
    return {"input": rng.randint(3, 5000), "output": rng.randint(100, 20000),
            "cache_creation": rng.randint(1000, 30000), "cache_read": rng.randint(1000, 170000)}


class NewRun:
    """Runs of the eras read from the source after 0d0f7a83. Each fills `self.t` with what its log lines
    state (truth = what a reader of this log can know, never the values the log does not print)."""

    polls_have_values = False

    def __init__(self, rng, era, pkg, scenario, mode=None):
        self.rng, self.era, self.pkg, self.scenario, self.mode = rng, era, pkg, scenario, mode
        self.run_id, self.db_id = str(uuid.uuid4()), str(uuid.uuid4())
        self.session, self.claude_session = str(uuid.uuid4()), str(uuid.uuid4())
        self.workflow = rng.choice(WORKFLOWS)
        self.ended = False
        self.polls_after_end = False
        self.ambiguous = False
        self.uses = [rng.choice(TOOLS) for _ in range(rng.randint(0, 9))]
        self.assistant_msgs = rng.randint(1, 25)
        self.cost = rand_cost(rng)
        self.tokens = rand_tokens(rng)
        self.t = {"status": "completed", "cost_usd": 0.0, "turns": 0, "turns_source": None, "total_tokens": 0,
                  "tools": None, "tool_uses": None, "tool_count": 0, "taskgroup_error": False}
        self.lost = {"cost_usd": 0.0, "turns": 0, "total_tokens": 0}
        self.a = f"{pkg}.agents.claude_code"
        self.route = f"{pkg}.api.routes.claude_code_routes"
        self.ws = f"/srv/agents/worktrees/{self.workflow}_run_{self.run_id}"

    def truth(self):
        t = dict(self.t)
        t["cost_usd"] = round(t["cost_usd"], 9)
        worked = t["turns"] > 0 or bool(t["tools"]) or t["tool_count"] > 0 or t["cost_usd"] > 0
        out = {"run_id": self.run_id, "workflow": self.workflow, "era": self.era, "scenario": self.scenario}
        out.update(t)
        out["false_failure"] = t["status"] == "failed" and t["taskgroup_error"] and worked
        out["mismatch_log"] = []
        out["attribution_ambiguous"] = self.ambiguous
        return out

    def poll(self, log):
        # The status endpoint's "Using session metadata" line is not rendered for these eras: from
        # 15922818 on it is gone (audit), and for m1 its values come from session metadata the log
        # does not otherwise state. The uvicorn access line is written.
        log.access("GET", f"/api/v1/workflows/claude-code/run/{self.run_id}/status")

    def set_tools(self, names, uses=None):
        self.t["tools"] = names
        self.t["tool_count"] = len(names)
        self.t["tool_uses"] = uses


class M1Run(NewRun):
    """942c33c9 -> 15922818, rendered from b895022b (2025-06-21 19:20).

    Start: src/api/routes/claude_code_routes.py run_claude_workflow ("Created workflow run record W for
    run_id R", "Stored task for run_id R ..."), then agent.py execute_workflow_background (its own
    create_workflow_run raises ValueError from db/repository/workflow_run.py -> WARNING "Failed to create
    workflow run record: Workflow run with run_id 'R' already exists"; "Created workspace for run R").
    Burst, isolator path: sdk_executor.execute_claude_task ("Forcing thread pool isolation") ->
    execution_isolator.execute_in_thread_pool ("Isolator: Starting thread pool execution for R") ->
    _run_in_isolated_thread ("SURGICAL FIX: Using minimal isolated execution ...") ->
    sdk_executor._execute_claude_task_simple (SUBPROCESS lines A14 A22 A25, A10 on TaskGroup).
    Burst, main path (CLAUDE_SDK_ISOLATED=true is a process-wide os.environ flag: a run that starts
    while another is inside the isolator runs execute_claude_task in the event loop): A1 A4 A9 A12 A19
    A11/A30 A8 A17 A31. End: agent "Updated session S ... (workflow_run_id: None)", "Background workflow
    NAME completed", AUTO-COMMIT. Queue segment (USE_WORKFLOW_QUEUE=true): agent "Using queue-based
    execution", workflow_queue.py submit_workflow / _process_workflow (C7), no agent end lines.
    """

    def __init__(self, rng, pkg, path, queue=False):
        if path == "main":
            scenario = rng.choices(["main_ok", "taskgroup_preserved", "taskgroup_no_work", "result_error"], [4, 3, 1, 1])[0]
        else:
            scenario = rng.choices(["ok", "taskgroup_subprocess"], [5, 2])[0]
        if queue:
            scenario = "queue_" + scenario
        super().__init__(rng, "m1", pkg, scenario, path)
        self.queue = queue
        self.worker = f"worker-{rng.randint(0, 2)}"
        self.messages = self.assistant_msgs * 2 + 2

    def start(self, log):
        log.access("POST", f"/api/v1/workflows/claude-code/run/{self.workflow}?persistent=true")
        log.emit(self.route, "INFO", f"Stored user workflow request as message {uuid.uuid4()} (continuation: False)")
        log.emit(self.route, "INFO", f"Created workflow run record {self.db_id} for run_id {self.run_id}")
        log.emit(self.route, "INFO", f"Stored task for run_id {self.run_id} for cancellation support")
        ag = f"{self.a}.agent"
        if self.queue:
            log.emit(ag, "INFO", f"Using queue-based execution for workflow {self.run_id}")
            prio = {"surgeon": "HIGH", "guardian": "HIGH", "shipper": "LOW", "genie": "CRITICAL"}.get(self.workflow, "NORMAL")
            q = f"{self.a}.workflow_queue"
            log.emit(q, "INFO", f"Submitted workflow {self.run_id} to queue with priority {prio}")
            log.emit(q, "INFO", f"Queue size: {self.rng.randint(0, 3)}, Active: {self.rng.randint(0, 3)}")
            log.emit(ag, "INFO", f"Submitted workflow {self.run_id} to queue with priority {prio}")
            return
        log.emit(ag, "WARNING", f"Failed to create workflow run record: Workflow run with run_id '{self.run_id}' already exists")
        log.emit(ag, "INFO", f"Created workspace for run {self.run_id}: {self.ws}")
        log.emit(ag, "INFO", f"Updated workflow run {self.run_id} with workspace path: {self.ws}")

    def burst(self, log, interleave):
        x, iso = f"{self.a}.sdk_executor", f"{self.a}.execution_isolator"
        s = self.scenario.replace("queue_", "")
        names = distinct(self.uses)
        tk = self.tokens
        total = sum(tk.values())
        lines = []
        if self.queue:
            lines.append((f"{self.a}.workflow_queue", "INFO", f"Worker {self.worker} processing workflow {self.run_id}"))
        if self.mode == "isolator":
            if not self.queue:
                lines.append((x, "INFO", "SDK Executor: Forcing thread pool isolation for TaskGroup safety"))
            lines += [(iso, "INFO", f"Isolator: Starting thread pool execution for {self.run_id}"),
                      (iso, "INFO", "SURGICAL FIX: Using minimal isolated execution to avoid TaskGroup conflicts"),
                      (x, "INFO", f"SDK Executor (SUBPROCESS): Starting simple execution for session {uuid.uuid4()}"),
                      (x, "INFO", f"Loaded system prompt from {self.ws}/prompt.md ({self.rng.randint(500, 9000)} chars)"),
                      (x, "INFO", f"SDK Executor (SUBPROCESS): Captured REAL Claude session ID: {self.claude_session}")]
            if s == "ok":
                num_turns = self.assistant_msgs + self.rng.randint(0, 3)
                for n in names:
                    lines.append((x, "DEBUG", f"SDK Executor (SUBPROCESS): Captured tool - {n}"))
                lines += [(x, "INFO", f"SDK Executor (SUBPROCESS): Completed successfully - Turns: {num_turns}, Tools: {len(names)}"),
                          (x, "INFO", f"SDK Executor (SUBPROCESS): Extracted token details - Total: {total}"),
                          (x, "INFO", f"SURGICAL SUCCESS: Updated database from subprocess for {self.run_id}")]
                # The SUBPROCESS path prints no cost at all; its Turns are final_metrics['num_turns'].
                self.t.update(turns=num_turns, turns_source="executor", total_tokens=total)
                self.set_tools(names)
            else:
                lines += [(x, "WARNING", f"SDK TaskGroup error, attempting sync fallback: {TG_ERROR}"),
                          (x, "ERROR", "Sync claude_code_sdk not available for fallback"),
                          (x, "ERROR", f"SDK Executor (SUBPROCESS): SDK execution failed: {TG_ERROR}")]
                self.t.update(status="failed", taskgroup_error=True)
            lines.append((iso, "INFO", f"Stored subprocess PID {self.rng.randint(2000, 60000)} for execution {self.run_id}"))
        else:
            lines += [(x, "INFO", "Node.js detected and available for execution"),
                      (x, "INFO", f"Loaded system prompt from {self.ws}/prompt.md ({self.rng.randint(500, 9000)} chars)")]
            cost4 = round(self.cost, 4)
            tg = s in ("taskgroup_preserved", "taskgroup_no_work")
            if s in ("main_ok", "result_error"):
                num_turns = self.assistant_msgs + self.rng.randint(0, 3)
                lines.append((x, "INFO", f"SDK Executor: Captured final metrics during streaming - Cost: ${self.cost:.4f}, Turns: {num_turns}"))
            if tg:
                lines += [(x, "WARNING", f"TaskGroup conflict detected in SDK execution: {TG_ERROR}"),
                          (x, "INFO", "SDK Executor: TaskGroup error detected - marking as incomplete")]
            nmsg = 0 if s == "taskgroup_no_work" else self.messages
            lines.append((x, "INFO", f"SDK Executor: Processing {nmsg} collected messages for data extraction"))
            if s == "taskgroup_no_work":
                names = []
            for n in names:
                lines.append((x, "INFO", f"SDK Executor: Captured tool usage - {n} (id: toolu_{uuid.uuid4().hex[:24]})"))
            if s == "taskgroup_preserved":
                lines.append((x, "INFO", f"SDK Executor: Correcting turn count from 0 to {self.assistant_msgs} based on actual AssistantMessages"))
                lines += [(x, "WARNING", "SURGICAL SUCCESS: TaskGroup conflict occurred but preserving substantial completed work"),
                          (x, "INFO", f"  - Tools executed: {len(names)}"),
                          (x, "INFO", f"  - Turns completed: {self.assistant_msgs}"),
                          (x, "INFO", "  - Cost incurred: $0.0000"),
                          (x, "INFO", f"  - Messages exchanged: {nmsg}")]
            if s == "taskgroup_no_work":
                lines.append((x, "ERROR", "SDK Executor: Marking execution as failed due to TaskGroup conflict with no substantial work"))
            lines.append((x, "INFO", f"SDK Executor: Final tool extraction results - {len(names)} tools captured: {pyrepr_list(names)}"))
            if not names and nmsg:
                lines += [(x, "WARNING", f"SDK Executor: No tools captured from {nmsg} messages - trying fallback extraction"),
                          (x, "ERROR", "SDK Executor: Both primary and fallback tool extraction failed")]
            elif names:
                lines.append((x, "INFO", "SDK Executor: SUCCESS - Tool extraction working correctly!"))
            status = {"main_ok": "completed", "taskgroup_preserved": "completed", "taskgroup_no_work": "failed",
                      "result_error": "failed"}[s]
            has_result = s in ("main_ok", "result_error")
            ptotal, pin, pout = (total, tk["input"], tk["output"]) if has_result else (0, 0, 0)
            pcost = self.cost if has_result else 0.0
            lines += [(x, "INFO", f"SURGICAL SUCCESS: Persisted metrics to database for run {self.run_id}"),
                      (x, "INFO", f"  - Cost: ${pcost:.4f}"),
                      (x, "INFO", f"  - Tokens: {ptotal} total ({pin} in, {pout} out)"),
                      (x, "INFO", f"  - Status: {status}")]
            self.t.update(status=status, taskgroup_error=tg, total_tokens=ptotal, cost_usd=cost4 if has_result else 0.0)
            if has_result:
                self.t.update(turns=num_turns, turns_source="result", input_tokens=pin, output_tokens=pout)
            elif s == "taskgroup_preserved":
                self.t.update(turns=self.assistant_msgs, turns_source="executor", input_tokens=0, output_tokens=0)
            else:
                self.t.update(input_tokens=0, output_tokens=0)
            self.set_tools(names)
        ok = self.t["status"] == "completed"
        if self.queue:
            lines.append((f"{self.a}.workflow_queue", "INFO", f"Worker {self.worker} completed workflow {self.run_id} - Success: {ok}"))
        else:
            lines.append((f"{self.a}.agent", "INFO", f"Updated session {self.session} with final status: {self.t['status']} (workflow_run_id: None)"))
        write_burst(log, lines, interleave)
        self.ended = True
        if self.queue:
            return
        ag = f"{self.a}.agent"
        log.emit(ag, "INFO", f"Stored workflow completion as message {uuid.uuid4()}")
        log.emit(ag, "INFO", f"Background workflow {self.workflow} completed: {ok}")
        auto_commit(log, ag, ok, self.run_id)


TRACEBACK = ["Traceback (most recent call last):",
             '  File "/srv/automagik/.venv/lib/python3.12/site-packages/claude_code_sdk/_internal/client.py", line 44, in process_query',
             "    async for data in transport.receive_messages():",
             "claude_code_sdk._errors.ProcessError: Command failed with exit code 1"]
STREAM_ERROR = "Command failed with exit code 1"


class SDKRun(NewRun):
    """b1 (15922818 -> 57e89ef4, rendered from e6b20970) and head (57e89ef4 -> 71dececf, rendered from
    71dececf): automagik/agents/claude_code/sdk_execution_strategies.py execute_simple,
    sdk_metrics_handler.py (A15 extract_tools_from_messages, B4 persist_to_database), sdk_process_manager.py
    (register_workflow_process, terminate_process: "Marked process R as S", "Updated workflow_runs table
    for R to S"; cancel_execution for kills), head only: sdk_progress_tracker.py (B5 B6 B7),
    sdk_message_processor.py (B8, DEBUG B10), route run_claude_workflow calling the SDK executor directly
    ("Workflow R completed via direct SDK execution", C3). b1 runs go through agent.py
    execute_workflow_background (WARNING already exists, "Updated session ... (workflow_run_id: None)",
    C2 when the agent fails before the executor)."""

    def __init__(self, rng, era, pkg, debug):
        scen = {"b1": (["ok", "no_result", "failed_sdk", "failed_agent", "kill_overwritten", "killed"], [8, 1, 2, 1, 1, 1]),
                "head": (["ok", "no_result", "zero_tokens", "cost_none", "failed_sdk", "failed_route", "kill_overwritten", "killed"],
                         [8, 1, 1, 1, 2, 1, 1, 1])}[era]
        super().__init__(rng, era, pkg, rng.choices(*scen)[0])
        self.debug = debug
        self.x = f"{pkg}.agents.claude_code.sdk_execution_strategies"
        self.pm = f"{pkg}.agents.claude_code.sdk_process_manager"
        self.mh = f"{pkg}.agents.claude_code.sdk_metrics_handler"

    def start(self, log):
        log.access("POST", f"/api/v1/workflows/claude-code/run/{self.workflow}?persistent=true")
        log.emit(self.route, "INFO", f"Created workflow run record {self.db_id} for run_id {self.run_id}")
        log.emit(self.route, "INFO", f"Stored task for run_id {self.run_id} for cancellation support")
        if self.era == "b1":
            ag = f"{self.a}.agent"
            log.emit(ag, "WARNING", f"Failed to create workflow run record: Workflow run with run_id '{self.run_id}' already exists")
            if self.scenario == "failed_agent":
                return
            log.emit(ag, "INFO", f"Created workspace for run {self.run_id}: {self.ws}")
        if self.scenario == "failed_route":
            log.emit(self.x, "INFO", f"SDK Executor: Starting simple execution for run_id: {self.run_id}, session: {self.session}")
            return
        log.emit(self.x, "INFO", f"SDK Executor: Starting simple execution for run_id: {self.run_id}, session: {self.session}")
        log.emit(self.pm, "INFO", f"Registered workflow process for run_id: {self.run_id}, PID: {self.rng.randint(2000, 60000)}")
        log.emit(self.x, "INFO", f"Updated database with workspace_path: {self.ws}")
        if self.era == "head":
            log.emit(self.x, "INFO", f"🚀 Starting query with prompt: Implement the {self.workflow} task described in the issue...")
            log.emit(self.x, "INFO", f"📁 Working directory: {self.ws}")
            log.emit(self.x, "INFO", "📡 About to start SDK query async generator...")

    def kill_lines(self, log):
        log.access("POST", f"/api/v1/workflows/claude-code/run/{self.run_id}/kill")
        log.emit(self.pm, "INFO", f"Marked process {self.run_id} as killed")
        log.emit(self.pm, "INFO", f"Updated workflow_runs table for {self.run_id} to killed")
        log.emit(self.pm, "INFO", f"Cancelled execution {self.run_id}")

    def burst(self, log, interleave):
        s, x, rng = self.scenario, self.x, self.rng
        names = distinct(self.uses)
        tk = self.tokens
        total = sum(tk.values())
        k = self.assistant_msgs
        num_turns = max(1, k - rng.randint(0, k // 3 + 1)) if self.era == "head" else k + rng.randint(0, 2)  # M8
        lines = []
        if s == "failed_agent":
            e = f"[Errno 2] No such file or directory: '{self.ws}'"
            lines += [(f"{self.a}.agent", "ERROR", f"Error in background workflow execution: {e}"),
                      (f"{self.a}.agent", "INFO", f"Updated workflow run {self.run_id} status to failed: {e}")]
            self.t["status"] = "failed"
            write_burst(log, lines, interleave)
            self.ended = True
            return
        if s == "failed_route":
            e = f"[Errno 28] No space left on device: '{self.ws}'"
            log.emit(self.route, "ERROR", f"Workflow execution failed for {self.run_id}: {e}")
            log.emit(self.route, "INFO", f"Cleaned up task for run_id {self.run_id}")
            self.t["status"] = "failed"
            self.ended = True
            return
        mp = f"{self.a}.sdk_message_processor"
        pt = f"{self.a}.sdk_progress_tracker"
        head = self.era == "head"
        m = 0

        def received(kind):
            nonlocal m
            m += 1
            if head:
                lines.append((x, "INFO", f"📨 Received message {m}: {kind}"))
        if s == "killed":
            # A kill is final only for a run that writes nothing more (one that goes on writes its end over
            # it): here the CLI never answers, so the run hangs before its first message, and the kill
            # endpoint marks it. (A run killed mid-stream that then hangs leaves id-less lines that no
            # line ties to it; they are not attributable, so they are not generated here.)
            self.ended = True
            self.t.update(status="killed", turns=0, turns_source=None)
            self._write(log, [("KILL", None, None)], interleave)
            return
        received("SystemMessage")
        if head:
            lines.append((mp, "INFO", f"Captured session ID: {self.claude_session}"))
            lines.append((pt, "INFO", f"SDK Executor: Captured REAL Claude session ID: {self.claude_session}"))
        else:
            lines.append((x, "INFO", f"SDK Executor: Captured REAL Claude session ID: {self.claude_session}"))
        lines += [(x, "INFO", f"Created individual log file: {self.workflow}_{self.claude_session}.log"),
                  (x, "INFO", f"Database updated with real Claude session_id: {self.claude_session}")]
        fail_at = rng.randint(1, k) if s == "failed_sdk" else None
        kill_at = rng.randint(1, k) if s == "kill_overwritten" else None
        seen = 0
        for turn in range(1, k + 1):
            if fail_at and turn > fail_at:
                break
            received("AssistantMessage")
            seen = turn
            if head:
                lines.append((pt, "INFO", f"🔄 Turn {turn} - AssistantMessage received"))
                lines.append((pt, "INFO", f"📈 Updated progress - Turns: {turn}, Tokens: 0"))
            if turn < k:
                received("UserMessage")
            if kill_at == turn:
                lines.append(("KILL", None, None))
                if not head:
                    break  # b1 checks the kill flag per message (e6b20970); HEAD's check is disabled
        if s == "failed_sdk":
            lines += [(x, "ERROR", f"SDK Executor: Stream error: {STREAM_ERROR}"),
                      (x, "ERROR", f"SDK Executor: SDK execution failed: {STREAM_ERROR}"),
                      (x, "ERROR", f"Full exception details: {TRACEBACK[0]}")] + [(None, None, t) for t in TRACEBACK[1:]]
            lines += [(self.pm, "INFO", f"Marked process {self.run_id} as failed"),
                      (self.pm, "INFO", f"Updated workflow_runs table for {self.run_id} to failed"),
                      (x, "INFO", f"Keeping persistent workspace after failure for workflow {self.run_id}"),
                      (x, "INFO", "Closed workflow log file")]
            self.t.update(status="failed", turns=seen if head else 0, turns_source="executor" if head else None)
            self._end(log, lines, interleave)
            return
        has_result = s != "no_result" and not (s == "kill_overwritten" and not head)
        if not has_result:
            k = seen
        usage = {} if s == "zero_tokens" else tk
        total = sum(usage.values()) if usage else 0
        cost = None if s == "cost_none" else self.cost
        if has_result:
            received("ResultMessage")
            if head:
                if self.debug:
                    lines.append((mp, "DEBUG", f"ResultMessage - turns: {num_turns}, duration: {rng.randint(20000, 900000)}ms"))
                if usage:
                    lines += [(mp, "INFO", f"📊 Token usage - Input: {tk['input']}, Output: {tk['output']}, Cache: {tk['cache_creation'] + tk['cache_read']}, Total: {total}"),
                              (pt, "INFO", f"📊 Total tokens: {total}")]
                lines.append((pt, "INFO", f"📈 Updated progress - Turns: {k}, Tokens: {total}"))
        else:
            lines.append((x, "INFO", "SDK Executor: Stream ended successfully (EndOfStream is normal after completion)"))
        lines.append((x, "INFO", "Closed workflow log file"))
        if self.debug:
            for n in names:
                lines.append((self.mh, "DEBUG", f"SDK Executor: Captured tool - {n}"))
        counted = num_turns if has_result and not head else k
        if head:
            lines.append((x, "INFO", f"SDK Executor: Completed successfully - Turns: {k}, Tokens: {total if has_result else 0}, Tools: {len(names)}"))
            if has_result:
                lines += [(x, "INFO", "Processing ResultMessage"),
                          (x, "INFO", f"Extracted metrics: cost={cost!r}, tokens={total}")]
        else:
            lines.append((x, "INFO", f"SDK Executor: Completed successfully - Turns: {counted}, Tools: {len(names)}"))
        pcost = (cost or 0.0) if has_result else 0.0
        ptotal = total if has_result else 0
        lines += [(x, "INFO", f"Successfully updated workflow_runs table for {self.run_id}"),
                  (self.pm, "INFO", f"Marked process {self.run_id} as completed"),
                  (self.pm, "INFO", f"Updated workflow_runs table for {self.run_id} to completed"),
                  (self.mh, "INFO", f"Persisted metrics to database for run {self.run_id}"),
                  (self.mh, "INFO", f"  - Cost: ${pcost:.4f}"),
                  (self.mh, "INFO", f"  - Tokens: {ptotal} total"),
                  (self.mh, "INFO", f"  - Tools: {len(names)} used"),
                  (x, "INFO", f"Keeping persistent workspace for workflow {self.run_id}")]
        # cost: B3 (head, full repr) beats B4's 4 decimals (M5); b1 prints only B4.
        self.t["cost_usd"] = (pcost if head else round(pcost, 4))
        self.t["total_tokens"] = ptotal
        if head and self.debug and has_result:
            self.t.update(turns=num_turns, turns_source="result")
        else:
            self.t.update(turns=counted, turns_source="executor")
        if self.debug:
            self.set_tools(names)
        else:
            self.t["tool_count"] = len(names)
        if head and has_result and usage:
            self.t.update(input_tokens=tk["input"], output_tokens=tk["output"])
        self._end(log, lines, interleave)

    def _write(self, log, lines, interleave):
        chunk = []
        for item in lines:
            if item[0] == "KILL":
                write_burst(log, chunk, interleave)
                chunk = []
                self.kill_lines(log)
                if self.scenario == "kill_overwritten" and self.era == "b1":
                    chunk.append((self.x, "INFO", f"🛑 Workflow {self.run_id} killed during execution, stopping..."))
                continue
            chunk.append(item)
        write_burst(log, chunk, interleave)

    def _end(self, log, lines, interleave):
        self._write(log, lines, interleave)
        self.ended = True
        if self.era == "head":
            log.emit(self.route, "INFO", f"Workflow {self.run_id} completed via direct SDK execution")
            log.emit(self.route, "INFO", f"Cleaned up task for run_id {self.run_id}")
            return
        ok = self.t["status"] == "completed"
        ag = f"{self.a}.agent"
        log.emit(ag, "INFO", f"Updated session {self.session} with final status: {self.t['status']} (workflow_run_id: None)")
        log.emit(ag, "INFO", f"Background workflow {self.workflow} completed: {ok}")
        auto_commit(log, ag, ok, self.run_id)


class StreamRun(NewRun):
    """head_stream: d8c24d7f -> 71dececf with input_format=stream-json, rendered from 71dececf
    sdk_execution_strategies.py _execute_with_stream_input (+ route run_claude_workflow). It never calls
    terminate_process (M3); its DEBUG "Claude output:" lines carry Claude's session id only."""

    def __init__(self, rng, pkg):
        super().__init__(rng, "head_stream", pkg, rng.choices(["ok", "failed", "killed_ran_on"], [6, 2, 1])[0])
        self.x = f"{pkg}.agents.claude_code.sdk_execution_strategies"
        self.pm = f"{pkg}.agents.claude_code.sdk_process_manager"
        self.output = []

    def start(self, log):
        log.access("POST", f"/api/v1/workflows/claude-code/run/{self.workflow}?persistent=true&input_format=stream-json")
        log.emit(self.route, "INFO", f"Created workflow run record {self.db_id} for run_id {self.run_id}")
        log.emit(self.route, "INFO", f"Stored task for run_id {self.run_id} for cancellation support")
        log.emit(self.x, "INFO", f"SDK Executor: Starting stream-json execution for run_id: {self.run_id}, session: {self.session}")
        log.emit(self.x, "INFO", f"Started Claude process with PID: {self.rng.randint(2000, 60000)}")
        log.emit(self.x, "INFO", f"Starting message queue monitor for {self.run_id}")

    def build_output(self):
        """The CLI's stream-json objects, as the DEBUG `Claude output: {decoded.strip()}` line prints them."""
        rng, c = self.rng, self.claude_session
        out = [{"type": "system", "subtype": "init", "cwd": self.ws, "session_id": c,
                "tools": ["Task", "Bash", "Glob", "Grep", "LS", "Read", "Edit", "Write", "TodoWrite"],
                "mcp_servers": [], "model": "claude-sonnet-4-20250514", "permissionMode": "bypassPermissions",
                "apiKeySource": "none"}]
        uses = list(self.uses)
        k = self.assistant_msgs
        per_turn = {}
        for u in uses:
            per_turn.setdefault(rng.randint(1, k), []).append(u)
        used = []
        last = k if self.scenario != "failed" else rng.randint(1, k)
        for turn in range(1, last + 1):
            blocks = [{"type": "text", "text": f"Step {turn}."}]
            for name in per_turn.get(turn, []):
                tid = f"toolu_{uuid.uuid4().hex[:24]}"
                blocks.append({"type": "tool_use", "id": tid, "name": name, "input": {"path": f"{self.ws}/f{turn}.py"}})
                used.append(name)
            out.append({"type": "assistant", "message": {"id": f"msg_{uuid.uuid4().hex[:24]}", "type": "message",
                        "role": "assistant", "model": "claude-sonnet-4-20250514", "content": blocks, "stop_reason": None,
                        "usage": {"input_tokens": 4, "output_tokens": 60}}, "parent_tool_use_id": None, "session_id": c})
            if len(blocks) > 1:
                out.append({"type": "user", "message": {"role": "user", "content": [
                    {"tool_use_id": b["id"], "type": "tool_result", "content": "ok"} for b in blocks[1:]]},
                    "parent_tool_use_id": None, "session_id": c})
        self.t["status"] = "failed" if self.scenario == "failed" else ("killed" if self.scenario == "killed_ran_on" else "completed")
        vals = {"cost_usd": 0.0, "turns": 0, "total_tokens": 0}
        tk = self.tokens
        if self.scenario != "failed":
            num_turns = max(1, k - rng.randint(0, k // 3 + 1))
            out.append({"type": "result", "subtype": "success", "is_error": False, "duration_ms": rng.randint(20000, 900000),
                        "duration_api_ms": rng.randint(15000, 800000), "num_turns": num_turns, "result": "Done.",
                        "session_id": c, "total_cost_usd": self.cost,
                        "usage": {"input_tokens": tk["input"], "cache_creation_input_tokens": tk["cache_creation"],
                                  "cache_read_input_tokens": tk["cache_read"], "output_tokens": tk["output"],
                                  "server_tool_use": {"web_search_requests": 0}, "service_tier": "standard"}})
            vals = {"cost_usd": self.cost, "turns": num_turns, "total_tokens": sum(tk.values())}
        self.output = [json.dumps(o, separators=(",", ":"), ensure_ascii=False) for o in out]
        self.vals, self.used = vals, used

    def settle(self, ambiguous):
        """The run's truth once its output is written: a session no line ties to a run can be its run's
        only if no other stream-json run was in flight from the session's first output line to the run's
        end; otherwise its values are not attributable (counted as unknown) and the run is ambiguous."""
        self.ambiguous = ambiguous
        vals, used, tk = self.vals, self.used, self.tokens
        if ambiguous:
            self.lost = vals
            return
        self.t.update(cost_usd=vals["cost_usd"], turns=vals["turns"], total_tokens=vals["total_tokens"],
                      turns_source="result" if vals["turns"] else None)
        if self.scenario != "failed":
            self.t.update(input_tokens=tk["input"], output_tokens=tk["output"])
        self.set_tools(distinct(used), len(used))

    def output_lines(self):
        return [(self.x, "DEBUG", f"Claude output: {o}") for o in self.output]

    def end(self, log):
        if self.scenario == "killed_ran_on":
            # kill endpoint -> process_manager.cancel_execution -> terminate_process("killed"); the CLI
            # process is not stopped and the stream path never writes a status again.
            pass
        if self.scenario == "failed":
            log.emit(self.x, "ERROR", "Claude process failed with return code: 1")
        else:
            log.emit(self.x, "INFO", "Claude process completed successfully")
        # No await between these two lines (remove_queue is synchronous): they are adjacent.
        log.emit(self.route, "INFO", f"Workflow {self.run_id} completed via direct SDK execution")
        log.emit(self.route, "INFO", f"Cleaned up task for run_id {self.run_id}")
        self.ended = True

    def kill(self, log):
        log.access("POST", f"/api/v1/workflows/claude-code/run/{self.run_id}/kill")
        log.emit(self.pm, "INFO", f"Marked process {self.run_id} as killed")
        log.emit(self.pm, "INFO", f"Updated workflow_runs table for {self.run_id} to killed")
        log.emit(self.pm, "INFO", f"Cancelled execution {self.run_id}")


def stream_segment(log, rng, count, pkg):
    """Runs alone (attributable) and pairs in flight at once, whose output interleaves (M3): see `settle`."""
    runs = []
    while len(runs) < count:
        group = [StreamRun(rng, pkg) for _ in range(1 if count - len(runs) == 1 or rng.random() < 0.55 else 2)]
        for r in group:
            r.start(log)
            r.build_output()
        queues = [list(r.output_lines()) for r in group]
        first_output_while_shared = {id(r): False for r in group}
        seen_output = set()
        kill_points = {id(r): rng.randint(1, len(q)) for r, q in zip(group, queues) if r.scenario == "killed_ran_on"}
        while any(queues):
            i = rng.choice([j for j, q in enumerate(queues) if q])
            r = group[i]
            if id(r) in kill_points and len(queues[i]) == kill_points[id(r)]:
                r.kill(log)
                del kill_points[id(r)]
            logger, level, msg = queues[i].pop(0)
            if id(r) not in seen_output:
                seen_output.add(id(r))
                first_output_while_shared[id(r)] = any(not o.ended for o in group if o is not r)
            log.emit(logger, level, msg)
            if not queues[i]:
                r.end(log)
                # Until this end the other run was in flight: this run's session could be either's.
                if any(not o.ended for o in group if o is not r):
                    first_output_while_shared[id(r)] = True
            if rng.random() < 0.1:
                log.access("GET", f"/api/v1/workflows/claude-code/run/{rng.choice(group).run_id}/status")
        for r in group:
            if id(r) in kill_points:
                r.kill(log)
            r.settle(first_output_while_shared[id(r)])
        runs += group
    return runs


def segment(log, rng, envelopes, era, pkg, count, make, concurrency):
    """One process lifetime: runs start, burst in one piece (their thread's lines), and are polled."""
    pending = count
    active, done = [], []

    def new_run():
        nonlocal pending
        pending -= 1
        r = make(active)
        r.start(log)
        active.append(r)

    def noise():
        choice = rng.random()
        if choice < 0.25 and active:
            rng.choice(active).poll(log)
        elif choice < 0.35 and done:
            r = rng.choice(done)
            r.poll(log)
            r.polls_after_end = r.polls_have_values
        elif choice < 0.45 and pending and len(active) < concurrency:
            new_run()  # a new run starts while another run's burst is being written
        elif choice < 0.50 and envelopes == "mixed":
            log.raw(f"{log.clock.strftime('%b %d %H:%M:%S')} agents-host python[48211]: [{rng.randint(90, 200)}B blob data]", malformed=True)

    while pending or active:
        while pending and len(active) < concurrency:
            new_run()
            noise()
        r = active.pop(rng.randrange(len(active)))
        r.burst(log, noise)
        done.append(r)
        for _ in range(rng.randint(0, 2)):
            r.poll(log)
            r.polls_after_end = r.polls_have_values
        noise()
    return done


def generate(n_runs, seed, envelopes, eras=None):
    rng = random.Random(seed)
    uuid.uuid4 = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)
    log = Log(rng, envelopes)
    eras = eras or ALL_ERAS
    runs = []
    per = [n_runs // len(eras)] * len(eras)
    per[-1] += n_runs - sum(per)
    for era, count in zip(eras, per):
        pkg = ERA_PKG[era]
        log.clock = max(log.clock, ERA_START[era])
        if era in ("bug", "fixed"):
            log.emit(f"{pkg}.__main__", "INFO", "Starting Automagik Agents API")
            runs += segment(log, rng, envelopes, era, pkg, count, lambda active, era=era: Run(rng, era, pkg), 4)
        elif era == "m1":
            plain = count - count // 4
            for queue, n in ((False, plain), (True, count - plain)):
                log.emit(f"{pkg}.__main__", "INFO", "Starting Automagik Agents API")
                log.emit(f"{pkg}.agents.claude_code.startup", "INFO",
                         "✓ Workflow queue manager started" if queue else "- Workflow queue manager disabled (USE_WORKFLOW_QUEUE=false)")

                def make(active, queue=queue):
                    # CLAUDE_SDK_ISOLATED is set in os.environ while a run is inside the isolator
                    # thread: a run starting then takes execute_claude_task's main path.
                    busy = any(r.mode == "isolator" for r in active)
                    return M1Run(rng, pkg, "isolator" if queue or not busy else "main", queue)
                runs += segment(log, rng, envelopes, era, pkg, n, make, 4)
        elif era in ("b1", "head"):
            half = count // 2
            for debug, n in ((True, half), (False, count - half)):
                log.emit(f"{pkg}.__main__", "INFO", "Starting Automagik Agents API")
                # AUTOMAGIK_LOG_LEVEL=DEBUG in the first process, INFO in the second (no line states it).
                runs += segment(log, rng, envelopes, era, pkg, n, lambda active, d=debug, e=era: SDKRun(rng, e, pkg, d), 3)
        elif era == "head_stream":
            log.emit(f"{pkg}.__main__", "INFO", "Starting Automagik Agents API")
            runs += stream_segment(log, rng, count, pkg)
        else:
            raise SystemExit(f"unknown era {era}")
    # A run cut off by a crash: its last line has no colour reset; the executor restarts.
    log.raw(f"{log.clock.strftime('%Y-%m-%d %H:%M:%S')},004 - automagik.agents.claude_code.sdk_executor - INFO - {INFO}SDK Executor: Completed successfully - Turns: 3, Tok", malformed=True)
    log.emit("automagik.__main__", "INFO", "Starting Automagik Agents API")
    return log, runs


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--envelopes", choices=["verbose", "mixed"], default="verbose")
    p.add_argument("--eras", default=",".join(ALL_ERAS), help=f"comma list of {', '.join(ALL_ERAS)}")
    p.add_argument("--log", required=True)
    p.add_argument("--truth", required=True)
    a = p.parse_args()
    eras = [e.strip() for e in a.eras.split(",") if e.strip()]
    bad = [e for e in eras if e not in ALL_ERAS]
    if bad:
        p.error(f"unknown era(s): {', '.join(bad)}")
    log, runs = generate(a.runs, a.seed, a.envelopes, eras)
    with open(a.log, "w", encoding="utf-8") as f:
        f.write("\n".join(log.lines) + "\n")
    truth = {r.run_id: r.truth() for r in runs}
    lost = [r.lost for r in runs if r.ambiguous]
    totals = {"runs": len(truth), "cost_usd": round(sum(t["cost_usd"] for t in truth.values()), 9),
              "turns": sum(t["turns"] for t in truth.values()),
              "total_tokens": sum(t["total_tokens"] for t in truth.values()),
              "false_failures": sum(t["false_failure"] for t in truth.values()),
              "ambiguous_runs": len(lost),
              "unknown_cost_usd": round(sum(x["cost_usd"] for x in lost), 9),
              "unknown_turns": sum(x["turns"] for x in lost),
              "unknown_total_tokens": sum(x["total_tokens"] for x in lost),
              "lines": len(log.lines), "malformed_lines": log.malformed}
    with open(a.truth, "w", encoding="utf-8") as f:
        json.dump({"totals": totals, "runs": truth}, f, indent=1)


if __name__ == "__main__":
    main()
