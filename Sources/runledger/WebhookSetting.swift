import RunLedgerCore
import RunLedgerNotify

/// One entry of the config file's `webhooks`: `"KIND=URL"`, or an object that also names the sink and
/// filters what it gets:
///
/// ```json
/// {"kind": "slack", "url": "env:SLACK_WEBHOOK_URL", "name": "team-builder",
///  "kinds": ["false_failure", "stalled_run"], "workflows": ["builder"]}
/// ```
struct WebhookSetting: Equatable {
    /// `KIND=URL`, as `--webhook` takes it.
    var spec: String
    var name: String?
    var kinds: Set<AlertKind>?
    var workflows: Set<String>?

    static let keys: Set<String> = ["kind", "url", "name", "kinds", "workflows"]

    /// Reads entry `index` of `webhooks` in config file `path`; errors name the entry and the key.
    static func parse(_ value: Any, index: Int, path: String) throws -> WebhookSetting {
        let at = "\(path): \"webhooks[\(index)]"
        if let text = value as? String, !text.isEmpty { return WebhookSetting(spec: text) }
        guard let object = value as? [String: Any] else {
            throw Failure("\(at)\" must be \"KIND=URL\" or an object with kind and url")
        }
        for key in object.keys.sorted() where !keys.contains(key) {
            throw Failure("\(at).\(key)\": unknown key (known: \(keys.sorted().joined(separator: ", ")))")
        }
        func text(_ key: String) throws -> String? {
            guard let v = object[key] else { return nil }
            guard let s = v as? String, !s.isEmpty else { throw Failure("\(at).\(key)\" must be a non-empty string") }
            return s
        }
        func list(_ key: String) throws -> [String]? {
            guard let v = object[key] else { return nil }
            guard let l = v as? [String], !l.isEmpty, l.allSatisfy({ !$0.isEmpty }) else {
                throw Failure("\(at).\(key)\" must be a non-empty list of non-empty strings")
            }
            return l
        }
        guard let kind = try text("kind"), let url = try text("url") else {
            throw Failure("\(at)\" needs both \"kind\" and \"url\"")
        }
        guard SinkKind(rawValue: kind) != nil else {
            throw Failure(
                "\(at).kind\": \"\(kind)\" is not one of " + SinkKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        var setting = WebhookSetting(spec: "\(kind)=\(url)", name: try text("name"))
        if let kinds = try list("kinds") {
            setting.kinds = Set(
                try kinds.map { k in
                    guard let kind = AlertKind(rawValue: k) else {
                        throw Failure(
                            "\(at).kinds\": unknown alert kind \"\(k)\" (known: "
                                + AlertKind.allCases.map(\.rawValue).joined(separator: ", ") + ")")
                    }
                    return kind
                })
        }
        setting.workflows = try list("workflows").map(Set.init)
        return setting
    }
}
