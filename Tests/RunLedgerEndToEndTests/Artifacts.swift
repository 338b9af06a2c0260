import Foundation

/// The shipped monitoring artifacts the tests read: Grafana dashboards (`dashboards/*.json`) and
/// Prometheus rule files (`alerts/*.yml`), loaded into just the fields the checks need.
extension Paths {
    static var dashboards: URL { root.appendingPathComponent("dashboards") }
    static var alerts: URL { root.appendingPathComponent("alerts") }
    static var runbooks: String { root.appendingPathComponent("docs/runbooks.md").path }
    static let dashboardFiles = ["agent-workflows.json", "runledger-health.json"]
    /// Every rule file, as `rule_files: [alerts/*.yml]` loads them.
    static var ruleFiles: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: alerts.path)) ?? []
        return names.filter { $0.hasSuffix(".yml") }.sorted().map { alerts.appendingPathComponent($0).path }
    }
}

/// A Grafana dashboard in the classic JSON model (the fields the lint and consistency checks read).
struct Dashboard: Decodable {
    var uid: String?
    var title: String
    var editable: Bool?
    var panels: [Panel]
    var templating: Templating

    struct Templating: Decodable { var list: [Variable] }

    struct DataSource: Decodable {
        var type: String?
        var uid: String?
    }

    struct Variable: Decodable {
        var name: String
        var label: String?
        var type: String
        var query: String?
        var datasource: DataSource?
        var multi: Bool?
        var includeAll: Bool?
        var allValue: String?
        var refresh: Int?
    }

    struct Panel: Decodable {
        var id: Int?
        var type: String
        var title: String?
        var description: String?
        var datasource: DataSource?
        var fieldConfig: FieldConfig?
        var targets: [Target]?
        /// A collapsed row keeps its panels inside itself.
        var panels: [Panel]?
    }

    struct FieldConfig: Decodable {
        var defaults: Defaults?
        var overrides: [Override]?
        struct Defaults: Decodable {
            var unit: String?
            var links: [Link]?
        }

        /// Properties for the fields a matcher picks (`byFrameRefID`: the series of one query).
        struct Override: Decodable {
            var matcher: Matcher
            var properties: [Property]

            struct Matcher: Decodable {
                var id: String
                var options: String?

                init(from decoder: Decoder) throws {
                    let c = try decoder.container(keyedBy: CodingKeys.self)
                    id = try c.decode(String.self, forKey: .id)
                    options = try? c.decode(String.self, forKey: .options)
                }
                enum CodingKeys: String, CodingKey { case id, options }
            }

            /// One property; only `links` is read (other values have other shapes).
            struct Property: Decodable {
                var id: String
                var links: [Link]?

                init(from decoder: Decoder) throws {
                    let c = try decoder.container(keyedBy: CodingKeys.self)
                    id = try c.decode(String.self, forKey: .id)
                    links = id == "links" ? try c.decode([Link].self, forKey: .value) : nil
                }
                enum CodingKeys: String, CodingKey { case id, value }
            }
        }
    }

    /// A data link: where a click on a series goes.
    struct Link: Decodable {
        var title: String
        var url: String
    }

    struct Target: Decodable {
        var expr: String
        var legendFormat: String?
        var refId: String
        var datasource: DataSource?
    }

    /// The data links a click on a series of query `refId` offers: an override's for that query's
    /// frames, else the panel's defaults.
    static func links(of panel: Panel, refId: String) -> [Link] {
        let chosen = (panel.fieldConfig?.overrides ?? []).filter {
            $0.matcher.id == "byFrameRefID" && $0.matcher.options == refId
        }.flatMap(\.properties).compactMap(\.links)
        return chosen.last ?? panel.fieldConfig?.defaults?.links ?? []
    }

    /// Every panel, with the panels of collapsed rows.
    var allPanels: [Panel] { panels.flatMap { [$0] + ($0.panels ?? []) } }

    static func load(_ file: String) throws -> Dashboard {
        try JSONDecoder().decode(
            Dashboard.self, from: Data(contentsOf: Paths.dashboards.appendingPathComponent(file)))
    }

    /// A target's expression as Prometheus would receive it: Grafana's interval variables become a
    /// duration, and the multi-value variables (`job=~"$job"`) match everything, as "All" does.
    static func substitute(_ expr: String, rateInterval: String = "5m") -> String {
        var out = expr.replacingOccurrences(of: "$__rate_interval", with: rateInterval)
        out = out.replacingOccurrences(of: "${__rate_interval}", with: rateInterval)
        for name in ["job", "instance", "workflow", "source"] {
            out = out.replacingOccurrences(of: "\"$\(name)\"", with: "\".+\"")
            out = out.replacingOccurrences(of: "\"${\(name)}\"", with: "\".+\"")
        }
        return out
    }

    /// `label_values(metric{…}, label)`: the selector and the label a query variable reads.
    static func labelValuesQuery(_ query: String) -> (selector: String, label: String)? {
        guard query.hasPrefix("label_values("), query.hasSuffix(")"), let comma = query.lastIndex(of: ",") else {
            return nil
        }
        let selector = query[query.index(query.startIndex, offsetBy: "label_values(".count)..<comma]
        let label = query[query.index(after: comma)..<query.index(before: query.endIndex)]
        return (String(selector).trimmingCharacters(in: .whitespaces), label.trimmingCharacters(in: .whitespaces))
    }
}

/// A Prometheus rule file.
struct RuleFile: Decodable {
    var groups: [Group]

    struct Group: Decodable {
        var name: String
        var rules: [Rule]
    }

    struct Rule: Decodable {
        var alert: String?
        var record: String?
        var expr: String
        var `for`: String?
        var labels: [String: String]?
        var annotations: [String: String]?
    }

    var rules: [Rule] { groups.flatMap(\.rules) }

    static func load(_ path: String) throws -> RuleFile {
        try JSONDecoder().decode(RuleFile.self, from: Data(try DebianPython.yamlAsJSON(path).utf8))
    }

    static func loadAll() throws -> [Rule] { try Paths.ruleFiles.flatMap { try load($0).rules } }
}

/// Debian's python3, for the libraries `make test` installs with apt (python3-yaml,
/// python3-prometheus-client): another python3 earlier on PATH (pyenv, a venv) would not have them.
enum DebianPython {
    static let path = "/usr/bin/python3"

    static func run(_ script: String, _ args: [String]) throws -> Result {
        try RunLedgerEndToEndTests.run(path, ["-c", script] + args)
    }

    static func yamlAsJSON(_ file: String) throws -> String {
        let r = try run("import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)", [file])
        guard r.status == 0 else { throw Failure("\(file): \(r.stderr)") }
        return r.stdout
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// What an exposition says about each sample name: its label names and the values each label takes.
struct ExposedMetrics {
    var labels: [String: [String: Set<String>]] = [:]

    init(_ exposition: String) {
        for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
            let nameEnd = line.firstIndex { $0 == "{" || $0 == " " } ?? line.endIndex
            let name = String(line[..<nameEnd])
            var values = labels[name] ?? [:]
            if nameEnd < line.endIndex, line[nameEnd] == "{", let close = line.lastIndex(of: "}") {
                // Label values here never contain `",` (sources are paths, the rest are words).
                for pair in line[line.index(after: nameEnd)..<close].components(separatedBy: "\",") {
                    guard let eq = pair.firstIndex(of: "=") else { continue }
                    let value = pair[pair.index(eq, offsetBy: 2)...].replacingOccurrences(of: "\"", with: "")
                    values[String(pair[..<eq]), default: []].insert(value)
                }
            }
            labels[name] = values
        }
    }
}
