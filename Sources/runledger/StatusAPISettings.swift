import Foundation
import RunLedgerHTTP
import RunLedgerIngest

/// The config file's `status_api` object: the executor's status API as a report source.
struct StatusAPISettings {
    var url: String
    /// A secret reference (`env:NAME`, `file:PATH` or the key itself), resolved when the API is used.
    var apiKey: String?
    var header: String?

    static let keys: Set<String> = ["url", "api_key", "header"]

    /// Validates the object; the error names the file and the key at fault.
    static func load(_ value: Any, file path: String) throws -> StatusAPISettings {
        guard let o = value as? [String: Any] else { throw Failure("\(path): \"status_api\" must be an object") }
        for key in o.keys.sorted() where !keys.contains(key) {
            throw Failure(
                "\(path): unknown key \"status_api.\(key)\" (known: \(keys.sorted().joined(separator: ", ")))")
        }
        func string(_ key: String) throws -> String? {
            guard let v = o[key] else { return nil }
            guard let s = v as? String, !s.isEmpty else {
                throw Failure("\(path): \"status_api.\(key)\" must be a non-empty string")
            }
            return s
        }
        guard let url = try string("url") else { throw Failure("\(path): \"status_api\" needs \"url\"") }
        let s = StatusAPISettings(url: url, apiKey: try string("api_key"), header: try string("header"))
        // The URL and the header name are checked now; the key only when used (its variable or file
        // may exist only where RunLedger runs).
        do { try StatusAPI.check(StatusAPI.Options(url: s.url, header: s.header)) } catch {
            throw Failure("\(path): \"status_api\": \(error)")
        }
        return s
    }

    /// The reader's options, with the key resolved. `keyOrigin` names where the key was given.
    func options(keyOrigin: String, environment: [String: String]) throws -> StatusAPI.Options {
        var key: String?
        if let spec = apiKey {
            do { key = try Secret.resolve(spec, environment: environment) } catch {
                throw Failure("\(keyOrigin): \(error)")
            }
        }
        return StatusAPI.Options(url: url, apiKey: key, header: header)
    }
}
