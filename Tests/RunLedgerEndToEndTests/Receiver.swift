import Foundation
import TestSupport
import Testing

/// A `tools/webhook-receiver.py` process on 127.0.0.1: records every request and answers from a plan
/// (Slack's `ok`, 429 with Retry-After, 500, slow answers); stops by itself after `seconds`.
final class Receiver {
    let tool: PythonTool
    let log: String
    var port: Int { tool.port }

    /// `port` 0 picks a free one; `idempotent` makes it honour `Idempotency-Key` (a key it accepted
    /// before gets 200 and is recorded as a duplicate, not a new delivery).
    init(dir: TempDir, plan: String = "{}", seconds: Int = 90, port: Int = 0, idempotent: Bool = false) throws {
        log = dir.file("requests.jsonl")
        tool = try PythonTool(
            "webhook-receiver.py",
            ["--log", log, "--seconds", String(seconds), "--plan", plan, "--port", String(port)]
                + (idempotent ? ["--idempotent"] : []))
    }

    func stop() { tool.stop() }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    private var lines: [[String: Any]] { jsonLines(log) }

    /// Every request, in arrival order (`path`, `headers`, `body`, `answer`, `seq`, `t`, `duplicate`).
    var requests: [[String: Any]] { lines.filter { $0["path"] != nil } }

    func requests(_ path: String) -> [[String: Any]] { requests.filter { $0["path"] as? String == path } }

    /// For each slow answer given so far, by request `seq`: whether the client had gone before it.
    var clientGone: [Int: Bool] {
        var out: [Int: Bool] = [:]
        for l in lines { if let seq = l["seq"] as? Int, let gone = l["client_gone"] as? Bool { out[seq] = gone } }
        return out
    }
}

func idempotencyKey(_ r: [String: Any]) -> String {
    (r["headers"] as? [String: String])?["idempotency-key"] ?? ""
}

/// Answered 2xx (or a slow 200) as a new delivery; an honouring receiver's duplicates are not.
func wasAccepted(_ r: [String: Any]) -> Bool {
    let answer = r["answer"] as? String ?? ""
    return (answer.hasPrefix("20") || answer.hasPrefix("slow:")) && r["duplicate"] as? Bool != true
}
