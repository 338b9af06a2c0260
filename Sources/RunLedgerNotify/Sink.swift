import Foundation
import RunLedgerCore
import RunLedgerHTTP

/// Where alerts go, and in which format.
public enum SinkKind: String, Sendable, CaseIterable {
    case slack, discord, teams, generic, alertmanager
}

/// A configured sink. The URL is a secret: it is never logged and never shown by the API.
public struct Sink: Sendable {
    public var name: String
    public var kind: SinkKind
    public var url: String
    /// At most one delivery per this many milliseconds (Slack allows one message a second).
    public var minIntervalMs: Int64
    /// Which alerts this sink gets (nil: all kinds, all workflows).
    public var kinds: Set<AlertKind>?
    public var workflows: Set<String>?

    public var route: AlertRoute { AlertRoute(sink: name, kinds: kinds, workflows: workflows) }

    public init(name: String, kind: SinkKind, url: String) {
        self.name = name
        self.kind = kind
        self.url =
            kind == .alertmanager && !url.contains("/api/v2/alerts")
            ? url.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/api/v2/alerts" : url
        self.minIntervalMs = kind == .slack ? 1000 : 0
    }

    /// `slack=https://…`, `generic=env:WEBHOOK_URL`, `teams=file:/run/secrets/teams`: the URL itself,
    /// or where to read it, so that it need not stand on a command line.
    public static func parse(_ spec: String, index: Int, environment: [String: String]) throws -> Sink {
        guard let eq = spec.firstIndex(of: "="), let kind = SinkKind(rawValue: String(spec[..<eq])) else {
            throw SinkError(
                "--webhook \(spec.split(separator: "=").first ?? ""): want KIND=URL with KIND one of "
                    + SinkKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let url: String
        do {
            url = try Secret.resolve(String(spec[spec.index(after: eq)...]), environment: environment)
        } catch let e as Secret.Missing {
            throw SinkError("--webhook \(kind.rawValue): \(e.description)")
        }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw SinkError("--webhook \(kind.rawValue): the URL must start with http:// or https://")
        }
        return Sink(name: index == 0 ? kind.rawValue : "\(kind.rawValue)-\(index + 1)", kind: kind, url: url)
    }
}

public struct SinkError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// The body each sink kind expects for an alert. `runURL` links to the run's page (`/runs/{id}`): its
/// verdicts, its workspace and what each source reported.
public enum Payload {
    public static func body(for kind: SinkKind, _ a: Alert, runURL: String, externalURL: String) -> String {
        var w = JSONWriter()
        switch kind {
        case .slack: slack(a, runURL, &w)
        case .discord: discord(a, runURL, &w)
        case .teams: teams(a, runURL, &w)
        case .generic: generic(a, runURL, externalURL, &w)
        case .alertmanager: alertmanager(a, runURL, &w)
        }
        return w.text
    }

    static func title(_ a: Alert) -> String {
        switch a.kind {
        case .falseFailure: "False failure: \(a.workflow) run marked failed after real work"
        case .reportingMismatch: "Reporting mismatch: the executor reported 0 for a real \(a.workflow) run"
        case .costBudget: "Cost over budget: \(a.workflow) run"
        case .stalledRun: "Stalled: \(a.workflow) run quiet and not ended"
        }
    }

    static func alertName(_ a: Alert) -> String {
        switch a.kind {
        case .falseFailure: "AgentWorkflowFalseFailure"
        case .reportingMismatch: "AgentWorkflowReportingMismatch"
        case .costBudget: "AgentWorkflowCostOverBudget"
        case .stalledRun: "AgentWorkflowRunStalled"
        }
    }

    /// A run that may still be fine (over budget, quiet) warns; lost facts are critical.
    static func isWarning(_ a: Alert) -> Bool { a.kind == .costBudget || a.kind == .stalledRun }

    static func facts(_ a: Alert) -> [(String, String)] {
        var f: [(String, String)] = [
            ("Run", a.runId), ("Workflow", a.workflow), ("Status", a.status), ("Turns", String(a.turns)),
            ("Tools", String(a.tools)), ("Cost", "$" + JSONWriter.decimalText(a.costNano, scale: 9)),
            ("Tokens", String(a.totalTokens)),
        ]
        for (source, fields) in a.mismatch.sorted(by: { $0.key < $1.key }) {
            f.append(("Reported as 0 by \(source)", fields.joined(separator: ", ")))
        }
        if let work = a.uncommittedWork { f.append(("Where the work is", work)) }
        return f
    }

    private static func slack(_ a: Alert, _ url: String, _ w: inout JSONWriter) {
        w.beginObject()
        w.key("text"); w.string(title(a) + " — " + a.summary)
        w.key("blocks"); w.beginArray()
        w.beginObject(); w.key("type"); w.string("header")
        w.key("text"); w.beginObject(); w.key("type"); w.string("plain_text"); w.key("text"); w.string(title(a));
        w.endObject()
        w.endObject()
        w.beginObject(); w.key("type"); w.string("section")
        w.key("text"); w.beginObject(); w.key("type"); w.string("mrkdwn"); w.key("text"); w.string(a.summary);
        w.endObject()
        w.key("fields"); w.beginArray()
        for (k, v) in facts(a) {
            w.beginObject(); w.key("type"); w.string("mrkdwn"); w.key("text"); w.string("*\(k)*\n\(v)"); w.endObject()
        }
        w.endArray()
        w.endObject()
        w.beginObject(); w.key("type"); w.string("context")
        w.key("elements"); w.beginArray()
        w.beginObject(); w.key("type"); w.string("mrkdwn"); w.key("text"); w.string("<\(url)|Run in RunLedger>");
        w.endObject()
        w.endArray()
        w.endObject()
        w.endArray()
        w.endObject()
    }

    private static func discord(_ a: Alert, _ url: String, _ w: inout JSONWriter) {
        w.beginObject()
        w.key("embeds"); w.beginArray()
        w.beginObject()
        w.key("title"); w.string(title(a))
        w.key("description"); w.string(a.summary)
        w.key("url"); w.string(url)
        w.key("color"); w.int(isWarning(a) ? 0xE6_7E_22 : 0xE7_4C_3C)
        w.key("fields"); w.beginArray()
        for (k, v) in facts(a) {
            w.beginObject(); w.key("name"); w.string(k); w.key("value"); w.string(v); w.key("inline");
            w.bool(k != "Run"); w.endObject()
        }
        w.endArray()
        w.endObject()
        w.endArray()
        w.endObject()
    }

    private static func teams(_ a: Alert, _ url: String, _ w: inout JSONWriter) {
        w.beginObject()
        w.key("type"); w.string("message")
        w.key("attachments"); w.beginArray()
        w.beginObject()
        w.key("contentType"); w.string("application/vnd.microsoft.card.adaptive")
        w.key("content"); w.beginObject()
        w.key("$schema"); w.string("http://adaptivecards.io/schemas/adaptive-card.json")
        w.key("type"); w.string("AdaptiveCard")
        w.key("version"); w.string("1.4")
        w.key("body"); w.beginArray()
        w.beginObject(); w.key("type"); w.string("TextBlock"); w.key("text"); w.string(title(a))
        w.key("weight"); w.string("Bolder"); w.key("size"); w.string("Medium"); w.key("wrap"); w.bool(true);
        w.endObject()
        w.beginObject(); w.key("type"); w.string("TextBlock"); w.key("text"); w.string(a.summary); w.key("wrap");
        w.bool(true); w.endObject()
        w.beginObject(); w.key("type"); w.string("FactSet"); w.key("facts"); w.beginArray()
        for (k, v) in facts(a) {
            w.beginObject(); w.key("title"); w.string(k); w.key("value"); w.string(v); w.endObject()
        }
        w.endArray(); w.endObject()
        w.endArray()
        w.key("actions"); w.beginArray()
        w.beginObject(); w.key("type"); w.string("Action.OpenUrl"); w.key("title"); w.string("Run in RunLedger");
        w.key("url"); w.string(url); w.endObject()
        w.endArray()
        w.endObject()
        w.endObject()
        w.endArray()
        w.endObject()
    }

    static func labels(_ a: Alert, _ w: inout JSONWriter) {
        w.beginObject()
        w.key("alertname"); w.string(alertName(a))
        w.key("kind"); w.string(a.kind.rawValue)
        w.key("run_id"); w.string(a.runId)
        w.key("workflow"); w.string(a.workflow)
        w.key("severity"); w.string(isWarning(a) ? "warning" : "critical")
        w.key("source"); w.string("runledger")
        w.endObject()
    }

    static func annotations(_ a: Alert, _ url: String, _ w: inout JSONWriter) {
        w.beginObject()
        w.key("summary"); w.string(title(a))
        w.key("description"); w.string(a.summary)
        w.key("run_url"); w.string(url)
        w.endObject()
    }

    static func startsAt(_ a: Alert) -> String { Timestamps.iso8601(ms: a.raisedAtMs ?? 0) }

    /// Shaped like Alertmanager's webhook payload (version 4), so receivers written for it work.
    private static func generic(_ a: Alert, _ url: String, _ external: String, _ w: inout JSONWriter) {
        w.beginObject()
        w.key("version"); w.string("4")
        w.key("groupKey"); w.string(a.dedupKey)
        w.key("status"); w.string("firing")
        w.key("receiver"); w.string("runledger")
        w.key("groupLabels"); w.beginObject(); w.key("alertname"); w.string(alertName(a)); w.endObject()
        w.key("commonLabels"); labels(a, &w)
        w.key("commonAnnotations"); annotations(a, url, &w)
        w.key("externalURL"); w.string(external)
        w.key("alerts"); w.beginArray()
        w.beginObject()
        w.key("status"); w.string("firing")
        w.key("labels"); labels(a, &w)
        w.key("annotations"); annotations(a, url, &w)
        w.key("startsAt"); w.string(startsAt(a))
        w.key("endsAt"); w.string("0001-01-01T00:00:00Z")
        w.key("generatorURL"); w.string(url)
        w.key("fingerprint"); w.string(a.dedupKey)
        w.endObject()
        w.endArray()
        w.endObject()
    }

    /// Alertmanager's own API (`POST /api/v2/alerts`), so existing routing applies.
    private static func alertmanager(_ a: Alert, _ url: String, _ w: inout JSONWriter) {
        w.beginArray()
        w.beginObject()
        w.key("labels"); labels(a, &w)
        w.key("annotations"); annotations(a, url, &w)
        w.key("startsAt"); w.string(startsAt(a))
        w.key("generatorURL"); w.string(url)
        w.endObject()
        w.endArray()
    }
}
