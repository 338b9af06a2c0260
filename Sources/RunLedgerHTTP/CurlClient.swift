import CCurl
import Foundation

/// What a server answered.
public struct HTTPResult: Sendable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: String

    public init(status: Int, headers: [String: String] = [:], body: String) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A failure to get any answer (connection refused, timeout, TLS), worded without the URL: webhook
/// URLs are secrets and never appear in logs.
public struct TransportError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// HTTP POST and GET through libcurl's easy interface, with TLS verification on and no redirects
/// followed. One client per thread. Bodies are kept up to 64 KiB.
public final class CurlClient {
    private let handle: UnsafeMutableRawPointer

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init() {
        _ = Self.globalInit
        handle = curl_easy_init()
    }

    deinit { curl_easy_cleanup(handle) }

    /// Posts `body` to `url`; waits at most `timeoutMs` for the whole exchange.
    public func post(_ url: String, body: [UInt8], headers: [String], timeoutMs: Int) throws -> HTTPResult {
        try body.withUnsafeBufferPointer { bytes in
            try perform(url, headers: headers, timeoutMs: timeoutMs) {
                _ = runledger_curl_set_long(handle, CURLOPT_POST, 1)
                _ = runledger_curl_set_pointer(
                    handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                _ = runledger_curl_set_size(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count))
            }
        }
    }

    /// Gets `url`; waits at most `timeoutMs` for the whole exchange (connecting included).
    public func get(_ url: String, headers: [String], timeoutMs: Int) throws -> HTTPResult {
        try perform(url, headers: headers, timeoutMs: timeoutMs) {
            _ = runledger_curl_set_long(handle, CURLOPT_HTTPGET, 1)
        }
    }

    /// One exchange on a reset handle: `method` sets what differs between POST and GET.
    private func perform(_ url: String, headers: [String], timeoutMs: Int, method: () -> Void) throws -> HTTPResult {
        curl_easy_reset(handle)
        let box = Unmanaged.passRetained(ResponseBox())
        defer { box.release() }
        var list: UnsafeMutablePointer<curl_slist>?
        for h in headers { list = curl_slist_append(list, h) }
        defer { curl_slist_free_all(list) }
        _ = runledger_curl_set_string(handle, CURLOPT_URL, url)
        method()
        _ = runledger_curl_set_slist(handle, CURLOPT_HTTPHEADER, list)
        _ = runledger_curl_set_long(handle, CURLOPT_TIMEOUT_MS, timeoutMs)
        _ = runledger_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, min(timeoutMs, 5000))
        _ = runledger_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = runledger_curl_set_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        _ = runledger_curl_set_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        _ = runledger_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        _ = runledger_curl_set_callback(handle, CURLOPT_WRITEFUNCTION, collectBody)
        _ = runledger_curl_set_pointer(handle, CURLOPT_WRITEDATA, box.toOpaque())
        _ = runledger_curl_set_callback(handle, CURLOPT_HEADERFUNCTION, collectHeader)
        _ = runledger_curl_set_pointer(handle, CURLOPT_HEADERDATA, box.toOpaque())
        let rc = curl_easy_perform(handle)
        guard rc == CURLE_OK else { throw TransportError(description: String(cString: curl_easy_strerror(rc))) }
        var code = 0
        _ = runledger_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &code)
        let r = box.takeUnretainedValue()
        return HTTPResult(
            status: code, headers: r.headers, body: String(decoding: r.body.prefix(64 * 1024), as: UTF8.self))
    }
}

private final class ResponseBox {
    var body: [UInt8] = []
    var headers: [String: String] = [:]
}

private func collectBody(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?
) -> Int {
    guard let data, let user else { return 0 }
    let box = Unmanaged<ResponseBox>.fromOpaque(user).takeUnretainedValue()
    let n = size * count
    if box.body.count < 64 * 1024 {
        data.withMemoryRebound(to: UInt8.self, capacity: n) {
            box.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n))
        }
    }
    return n
}

private func collectHeader(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?
) -> Int {
    guard let data, let user else { return 0 }
    let n = size * count
    let line = data.withMemoryRebound(to: UInt8.self, capacity: n) {
        String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self)
    }
    if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        Unmanaged<ResponseBox>.fromOpaque(user).takeUnretainedValue().headers[name] = value
    }
    return n
}
