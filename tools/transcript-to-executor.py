#!/usr/bin/env python3
"""Renders a real Claude Code transcript the ways the automagik executor writes one, with the numbers
each rendering must give (stdlib only; it knows the executor's formats, not RunLedger's code).

    transcript-to-executor.py TRANSCRIPT --way WAY --out FILE [--run-id R] [--workflow W]
    transcript-to-executor.py TRANSCRIPT --expect FILE [--run-id R] [--workflow W]

TRANSCRIPT: Claude Code CLI `--output-format stream-json` lines (JSONL), a JSON array of those messages
(anthropics/claude-code-action's sample-turns.json), or an object whose `_RESPONSE` is such an array.

WAY (read from namastexlabs/automagik at the commits named; `tool_uses` is expected only where every
tool_use block can reach the file):
  per-run      logs/run_{run_id}.log, log_manager.py @ 22e45cbe: one `json.dumps(entry, ensure_ascii=False)`
               line per event (`timestamp, run_id, event_type, event_category, data`) with the event types
               and data `SDKStreamProcessor` builds (sdk_stream_processor.py @ 22e45cbe), every block of
               every message, and the executor's one `execution_complete` (success, total_cost_usd,
               duration_ms, total_turns, session_id). No usage reaches this file.
  bug-era      the same file exactly as `execute_with_streaming` (sdk_executor.py @ 22e45cbe) writes it:
               `process_message` returns only the LAST event of an AssistantMessage (`return events[-1]`),
               so only the last block of each message is logged; the ResultMessage gives the processor's
               `execution_complete` (cost `or 0.0`) and then the executor's own; neither carries usage.
               A message the SDK cannot parse aborts the stream before anything but `execution_start`
               is written (the collect loop and the write loop share one try).
  per-session  logs/{workflow}_{session}.log at HEAD (main d43e7af3 = dev 71dececf for these files):
               `claude_message` events whose data.message is `str(message)` of the claude_code_sdk
               dataclasses (0.0.14, July 2025), written by execute_simple in sdk_execution_strategies.py.
               The writer is (re)created inside `if ... should_update_progress(...)`, i.e. after each
               AssistantMessage and ResultMessage, each time with an `execution_init` event and a main-log
               `Created individual log file:` line; a message is written only if a writer already exists,
               so the SystemMessage and the FIRST AssistantMessage never reach the file.
  main-log     HEAD's stream-json path (`_execute_with_stream_input`): the debug log file
               (`%(asctime)s - %(name)s - %(levelname)s - %(message)s`, PrettyFormatter's emoji and colour)
               with the start line, `Claude output: {line}` for every CLI line, and the end lines.

The expected numbers come from the transcript itself (its result message) and, per way, from what that
way's file can show; `--expect` writes both, with a note for every field a way cannot show.
"""

import argparse
import dataclasses
import json
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

WAYS = ("per-run", "bug-era", "per-session", "main-log")
BASE_TIME = datetime(2025, 7, 31, 12, 0, 0, tzinfo=timezone.utc)


# --- claude_code_sdk 0.0.14 (anthropics/claude-code-sdk-python 17b4669, 2025-07-16) types.py -----------
# Field order and defaults as there; `repr` is the dataclass's own, so quoting is exactly Python's.


@dataclass
class TextBlock:
    text: str


@dataclass
class ToolUseBlock:
    id: str
    name: str
    input: dict[str, Any]


@dataclass
class ToolResultBlock:
    tool_use_id: str
    content: Any = None
    is_error: Any = None


@dataclass
class UserMessage:
    content: Any


@dataclass
class AssistantMessage:
    content: list


@dataclass
class SystemMessage:
    subtype: str
    data: dict[str, Any]


@dataclass
class ResultMessage:
    subtype: str
    duration_ms: int
    duration_api_ms: int
    is_error: bool
    num_turns: int
    session_id: str
    total_cost_usd: Any = None
    usage: Any = None
    result: Any = None


def parse_message(data):
    """`InternalClient._parse_message` of 0.0.14: unknown types give None (skipped); block types other
    than text/tool_use/tool_result (thinking) are dropped; a missing required key raises KeyError."""
    t = data["type"]
    if t == "user":
        return UserMessage(content=data["message"]["content"])
    if t == "assistant":
        blocks = []
        for block in data["message"]["content"]:
            if block["type"] == "text":
                blocks.append(TextBlock(text=block["text"]))
            elif block["type"] == "tool_use":
                blocks.append(ToolUseBlock(id=block["id"], name=block["name"], input=block["input"]))
            elif block["type"] == "tool_result":
                blocks.append(
                    ToolResultBlock(
                        tool_use_id=block["tool_use_id"], content=block.get("content"), is_error=block.get("is_error")
                    )
                )
        return AssistantMessage(content=blocks)
    if t == "system":
        return SystemMessage(subtype=data["subtype"], data=data)
    if t == "result":
        return ResultMessage(
            subtype=data["subtype"],
            duration_ms=data["duration_ms"],
            duration_api_ms=data["duration_api_ms"],
            is_error=data["is_error"],
            num_turns=data["num_turns"],
            session_id=data["session_id"],
            total_cost_usd=data.get("total_cost_usd"),
            usage=data.get("usage"),
            result=data.get("result"),
        )
    return None


def sdk_stream(records):
    """What `async for message in query(...)` yields: parsed messages up to the first that fails (then
    the error), stopping after the first ResultMessage as both executors do."""
    out = []
    for r in records:
        try:
            m = parse_message(r)
        except KeyError as e:
            return out, e
        if m is None:
            continue
        out.append(m)
        if isinstance(m, ResultMessage):
            break
    return out, None


# --- the transcript ---------------------------------------------------------------------------------------


def load(path):
    """The transcript's messages, and for JSONL input each message's original line text."""
    text = open(path, encoding="utf-8").read()
    stripped = text.lstrip()
    if stripped.startswith("["):
        records = json.loads(stripped)
        return records, None
    if stripped.startswith("{") and "\n{" not in stripped.rstrip():
        obj = json.loads(stripped)
        if isinstance(obj, dict) and "_RESPONSE" in obj:
            return obj["_RESPONSE"], None
    lines = [l for l in text.splitlines() if l.strip()]
    return [json.loads(l) for l in lines], [l.strip() for l in lines]


def truth(records):
    """The transcript's own numbers: its result message, and every tool_use block it holds."""
    result = next((r for r in reversed(records) if r.get("type") == "result"), None)
    tools, uses = [], 0
    for r in records:
        if r.get("type") != "assistant":
            continue
        for b in r.get("message", {}).get("content", []):
            if b.get("type") == "tool_use":
                uses += 1
                if b["name"] not in tools:
                    tools.append(b["name"])
    t = {"tools": tools, "tool_uses": uses}
    if result is None:
        t.update(cost_usd=None, turns=None, status=None, **tokens(None))
        return t
    cost = result.get("total_cost_usd", result.get("cost_usd"))
    t.update(
        cost_usd=cost,
        turns=result.get("num_turns"),
        status="failed" if result.get("is_error") else "completed",
        **tokens(result.get("usage")),
    )
    return t


def tokens(usage):
    keys = [
        ("input_tokens", "input_tokens"),
        ("output_tokens", "output_tokens"),
        ("cache_creation_tokens", "cache_creation_input_tokens"),
        ("cache_read_tokens", "cache_read_input_tokens"),
    ]
    out = {k: (usage.get(src) if isinstance(usage, dict) else None) for k, src in keys}
    present = [v for v in out.values() if v is not None]
    out["total_tokens"] = sum(present) if present else None
    return out


def session_of(records):
    for r in records:
        if r.get("session_id"):
            return r["session_id"]
    return None


# --- rendering --------------------------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.t = BASE_TIME

    def tick(self, ms=250):
        self.t += timedelta(milliseconds=ms)
        return self.t


CATEGORY = {
    "execution_init": "lifecycle",
    "command_debug": "debug",
    "process_start": "lifecycle",
    "session_established": "session",
    "response_event": "claude",
    "execution_complete": "lifecycle",
    "process_complete": "lifecycle",
    "error": "error",
    "stderr_event": "error",
    "stderr_summary": "error",
    "timeout": "error",
}


def entry(clock, run_id, event_type, data):
    """`LogManager.log_event` (identical at 22e45cbe and HEAD)."""
    e = {
        "timestamp": clock.tick().isoformat(),
        "run_id": run_id,
        "event_type": event_type,
        "event_category": CATEGORY.get(event_type, "other"),
        "data": data,
    }
    return json.dumps(e, ensure_ascii=False)


class Processor:
    """`SDKStreamProcessor.process_message` @ 22e45cbe, returning every event it builds (the file keeps
    only the last one of an AssistantMessage: see `bug-era`)."""

    def __init__(self):
        self.tool_calls = 0
        self.tool_names = []
        self.responses = 0
        self.user_messages = 0
        self.current_turn = 0
        self.phase = "initializing"
        self.phases = []
        self.percent = 0.0

    def events(self, m):
        if isinstance(m, UserMessage):
            self.user_messages += 1
            return [("user_message", {"content": m.content, "message_count": self.user_messages})]
        if isinstance(m, AssistantMessage):
            events = []
            for b in m.content:
                if isinstance(b, TextBlock):
                    self.responses += 1
                    self._phase(b.text)
                    events.append(
                        (
                            "assistant_text",
                            {
                                "text": b.text,
                                "response_count": self.responses,
                                "current_phase": self.phase,
                                "completion_percentage": self.percent,
                            },
                        )
                    )
                elif isinstance(b, ToolUseBlock):
                    self.tool_calls += 1
                    if b.name not in self.tool_names:
                        self.tool_names.append(b.name)
                    self.phase = f"using_{b.name.lower()}_tool"
                    events.append(
                        (
                            "tool_use",
                            {
                                "tool_id": b.id,
                                "tool_name": b.name,
                                "input": b.input,
                                "tool_calls_total": self.tool_calls,
                                "unique_tools": len(self.tool_names),
                            },
                        )
                    )
                elif isinstance(b, ToolResultBlock):
                    events.append(
                        (
                            "tool_result",
                            {
                                "tool_use_id": b.tool_use_id,
                                "content": b.content,
                                "is_error": b.is_error,
                                "success": not b.is_error,
                            },
                        )
                    )
                    self.phase = "processing_tool_result" if not b.is_error else "handling_tool_error"
            return events or [("assistant_message", {"content_blocks": len(m.content)})]
        if isinstance(m, SystemMessage):
            if m.subtype == "session_start":
                self.phase = "session_started"
            elif m.subtype == "turn_start":
                self.current_turn += 1
            return [
                (
                    "system_message",
                    {"subtype": m.subtype, "system_data": m.data, "current_turn": self.current_turn},
                )
            ]
        if isinstance(m, ResultMessage):
            completion = (
                "failed"
                if m.is_error
                else ("max_turns_reached" if m.subtype == "max_turns_reached" else "completed_successfully")
            )
            return [
                (
                    "execution_complete",
                    {
                        "success": not m.is_error,
                        "completion_type": completion,
                        "total_cost_usd": m.total_cost_usd or 0.0,
                        "duration_ms": m.duration_ms,
                        "total_turns": m.num_turns,
                        "session_id": m.session_id,
                        "result": m.result,
                        "is_error": m.is_error,
                    },
                )
            ]
        return [("unknown", str(m))]

    def _phase(self, text):
        low = text.lower()
        for words, name in (
            (["analyzing", "examining", "looking at"], "analysis"),
            (["planning", "will", "going to", "approach"], "planning"),
            (["implementing", "creating", "writing", "coding"], "implementation"),
            (["testing", "running test", "checking"], "testing"),
            (["completed", "finished", "done"], "completion"),
        ):
            if any(w in low for w in words):
                self.phase = name
                if name not in self.phases:
                    self.phases.append(name)
                break
        self.percent = min((len(self.phases) / 5) * 90, 90.0)


def render_per_run(records, ctx, bug_era):
    clock, run_id = Clock(), ctx["run_id"]
    lines = [
        entry(
            clock,
            run_id,
            "execution_start",
            {
                "session_id": ctx["executor_session"],
                "workflow_name": ctx["workflow"],
                "max_turns": None,
                "workspace_path": f"/srv/automagik/worktrees/builder_run_{ctx['executor_session']}",
            },
        )
    ]
    messages, error = sdk_stream(records)
    if error is not None and bug_era:
        # The collect loop raised: `except Exception as streaming_error` skips the write loop.
        return lines, [], None
    processor, seen, final = Processor(), [], None
    for m in messages:
        events = processor.events(m)
        if bug_era:
            events = events[-1:]
        for event_type, data in events:
            if event_type == "execution_complete" and not bug_era:
                continue  # this way keeps only the executor's own completion event
            lines.append(entry(clock, run_id, event_type, data))
            seen.append((event_type, data))
        if isinstance(m, ResultMessage):
            final = m
    if final is not None:
        data = {
            "success": not final.is_error,
            "total_cost_usd": final.total_cost_usd,
            "duration_ms": final.duration_ms,
            "total_turns": final.num_turns,
            "session_id": final.session_id,
        }
        lines.append(entry(clock, run_id, "execution_complete", data))
        seen.append(("execution_complete", data))
    return lines, seen, final


def render_per_session(records, ctx):
    """execute_simple @ d43e7af3: which messages reach `{workflow}_{session}.log`, and the main-log lines."""
    clock, run_id, workflow = Clock(), ctx["run_id"], ctx["workflow"]
    messages, _ = sdk_stream(records)
    lines, written, main = [], [], []
    writer_session = None  # None: no writer yet
    have_writer = False
    claude_session = None
    for m in messages:
        if isinstance(m, SystemMessage) and "session_id" in m.data:
            claude_session = m.data["session_id"]
        if have_writer:
            lines.append(entry(clock, run_id, "claude_message", {"message": str(m)}))
            written.append(m)
        if isinstance(m, (AssistantMessage, ResultMessage)):
            writer_session = claude_session
            have_writer = True
            lines.append(
                entry(
                    clock,
                    run_id,
                    "execution_init",
                    {"message": f"Workflow {workflow} started with Claude session: {claude_session}"},
                )
            )
            main.append(f"Created individual log file: {workflow}_{claude_session}.log")
    name = f"{workflow}_{writer_session}.log" if writer_session else f"run_{run_id}.log"
    return lines, written, main, name


PRETTY = {"DEBUG": ("🔍", "\x1b[94m"), "INFO": ("📝", "\x1b[92m"), "ERROR": ("❌", "\x1b[91m")}


def log_line(t, logger, level, msg):
    emoji, colour = PRETTY[level]
    stamp = t.strftime("%Y-%m-%d %H:%M:%S") + ",%03d" % (t.microsecond // 1000)
    return f"{stamp} - {logger} - {level} - {emoji} {colour}{msg}\x1b[0m"


def render_main_log(records, raw_lines, ctx):
    """`_execute_with_stream_input` @ d43e7af3 (return code 0), then the route's completion line."""
    clock, run_id = Clock(), ctx["run_id"]
    strategies = "automagik.agents.claude_code.sdk_execution_strategies"
    routes = "automagik.api.routes.claude_code_routes"
    out = [
        log_line(
            clock.tick(),
            strategies,
            "INFO",
            f"SDK Executor: Starting stream-json execution for run_id: {run_id}, session: {ctx['executor_session']}",
        ),
        log_line(clock.tick(), strategies, "INFO", "Started Claude process with PID: 48213"),
        log_line(clock.tick(), strategies, "INFO", f"Starting message queue monitor for {run_id}"),
    ]
    texts = raw_lines or [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records]
    for text in texts:
        out.append(log_line(clock.tick(), strategies, "DEBUG", f"Claude output: {text.strip()}"))
    out.append(log_line(clock.tick(), strategies, "INFO", "Claude process completed successfully"))
    out.append(log_line(clock.tick(), routes, "INFO", f"Workflow {run_id} completed via direct SDK execution"))
    return out


# --- what each way's file can show ------------------------------------------------------------------------

NO_TOKENS = "no usage in this file: the executor's execution_complete carries none"


def expected_per_run(seen, final):
    e, notes = {}, {}
    uses = [d for t, d in seen if t == "tool_use"]
    tools = []
    for d in uses:
        if d["tool_name"] not in tools:
            tools.append(d["tool_name"])
    e["tools"], e["tool_uses"] = tools, None
    notes["tool_uses"] = ("the same events as the bug-era file, which logs only each message's last block: "
                          "a reader cannot tell the two apart, so no file of this format shows every use")
    completes = [d for t, d in seen if t == "execution_complete"]
    last = completes[-1] if completes else None
    e.update(tokens(None))
    for k in ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "total_tokens"):
        notes[k] = NO_TOKENS
    if last is None:
        e.update(cost_usd=None, turns=None, status="running")
        notes["cost_usd"] = notes["turns"] = "no execution_complete: the SDK stream failed before the result"
        notes["status"] = "nothing in the file ends the run"
    else:
        e["cost_usd"] = last["total_cost_usd"]
        if last["total_cost_usd"] is None:
            notes["cost_usd"] = "the ResultMessage has no total_cost_usd (older cost_usd is not an SDK field)"
        e["turns"] = last["total_turns"]
        e["status"] = "completed" if last["success"] else "failed"
    return e, notes


def expected_per_session(written):
    e, notes = {}, {}
    tools, uses = [], 0
    for m in written:
        if isinstance(m, AssistantMessage):
            for b in m.content:
                if isinstance(b, ToolUseBlock):
                    uses += 1
                    if b.name not in tools:
                        tools.append(b.name)
    e["tools"], e["tool_uses"] = tools, uses
    notes["tools"] = "the first AssistantMessage is never written (no writer exists yet)"
    result = next((m for m in written if isinstance(m, ResultMessage)), None)
    if result is None:
        e.update(cost_usd=None, turns=None, status="running", **tokens(None))
        notes["cost_usd"] = notes["turns"] = notes["total_tokens"] = "no ResultMessage reaches the file"
        notes["status"] = "nothing in the file ends the run"
    else:
        # A ResultMessage is Claude's, not the executor's: the run ends when the executor says so (the
        # main log's process-manager and route lines), and this file has no such line.
        e.update(
            cost_usd=result.total_cost_usd,
            turns=result.num_turns,
            status="running",
            **tokens(result.usage),
        )
        if result.total_cost_usd is None:
            notes["cost_usd"] = "ResultMessage(total_cost_usd=None): the SDK has no cost_usd field"
        if result.usage is None:
            notes["total_tokens"] = "ResultMessage(usage=None)"
        notes["status"] = "the executor ends a run in its main log; a ResultMessage is Claude's and ends nothing"
    return e, notes


def turns_source(e):
    return "result" if e.get("turns") is not None else None


def build(path, run_id=None, workflow="builder"):
    records, raw_lines = load(path)
    name = path.rsplit("/", 1)[-1]
    run_id = run_id or str(uuid.uuid5(uuid.NAMESPACE_URL, "runledger-transcript:" + name))
    ctx = {
        "run_id": run_id,
        "workflow": workflow,
        "executor_session": str(uuid.uuid5(uuid.NAMESPACE_URL, "runledger-executor-session:" + name)),
    }
    return records, raw_lines, ctx


def expectation(path, run_id=None, workflow="builder"):
    records, raw_lines, ctx = build(path, run_id, workflow)
    name = path.rsplit("/", 1)[-1]
    t = truth(records)
    ways = {}

    _, seen, final = render_per_run(records, ctx, bug_era=False)
    e, notes = expected_per_run(seen, final)
    ways["per-run"] = {"file_name": f"run_{ctx['run_id']}.log", "expected": e, "notes": notes}

    _, seen, final = render_per_run(records, ctx, bug_era=True)
    e, notes = expected_per_run(seen, final)
    # `return events[-1]`: a block before the last one of its message never reaches the file, so the
    # file cannot show every use (null), and the names are those of the blocks that survive.
    e["tool_uses"] = None
    notes.setdefault("tools", "only the last block of each AssistantMessage is logged (events[-1])")
    notes["tool_uses"] = "not every use can be seen: only the last block of each AssistantMessage is logged"
    ways["bug-era"] = {"file_name": f"run_{ctx['run_id']}.log", "expected": e, "notes": notes}

    _, written, main, session_file = render_per_session(records, ctx)
    e, notes = expected_per_session(written)
    ways["per-session"] = {"file_name": session_file, "expected": e, "notes": notes, "main_log_lines": main}

    e = dict(t)
    e["status"] = "completed"
    ways["main-log"] = {
        "file_name": "debug.log",
        "expected": e,
        "notes": {"status": "the path logs `Claude process completed successfully` (return code 0)"},
    }
    for w in ways.values():
        w["expected"]["turns_source"] = turns_source(w["expected"])
    return {
        "transcript": name,
        "run_id": ctx["run_id"],
        "workflow": workflow,
        "claude_session_id": session_of(records),
        "executor_session_id": ctx["executor_session"],
        "truth": t,
        "ways": ways,
    }


def render(path, way, run_id=None, workflow="builder"):
    records, raw_lines, ctx = build(path, run_id, workflow)
    if way in ("per-run", "bug-era"):
        lines, _, _ = render_per_run(records, ctx, bug_era=(way == "bug-era"))
    elif way == "per-session":
        lines, _, _, _ = render_per_session(records, ctx)
    else:
        lines = render_main_log(records, raw_lines, ctx)
    return "".join(l + "\n" for l in lines)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("transcript")
    p.add_argument("--way", choices=WAYS)
    p.add_argument("--out")
    p.add_argument("--expect", help="write the expected numbers (every way) as JSON to this file ('-': stdout)")
    p.add_argument("--run-id")
    p.add_argument("--workflow", default="builder")
    a = p.parse_args(argv)
    if not a.expect and not (a.way and a.out):
        p.error("give --way and --out, or --expect")
    if a.way and a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(render(a.transcript, a.way, a.run_id, a.workflow))
    if a.expect:
        text = json.dumps(expectation(a.transcript, a.run_id, a.workflow), ensure_ascii=False, indent=2) + "\n"
        if a.expect == "-":
            sys.stdout.write(text)
        else:
            with open(a.expect, "w", encoding="utf-8") as f:
                f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
