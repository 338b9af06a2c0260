import CZlib

#if canImport(Glibc)
    import Glibc
#endif

/// Standard input (`journalctl -f -o cat | runledger serve -`). A pipe has no position to resume
/// from: each start reads what the producer sends from then on.
public final class StdinSource: ByteSource {
    public let path = "-"
    public private(set) var ended = false
    private let nonBlocking: Bool

    public init(nonBlocking: Bool) {
        self.nonBlocking = nonBlocking
        if nonBlocking { _ = fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK) }
    }

    public var size: Int64 { 0 }

    public func identity(fingerprintLength: Int?) -> FileIdentity {
        FileIdentity(device: 0, inode: 0, fingerprintLength: 0, fingerprint: 0)
    }

    public func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !ended else { return 0 }
        while true {
            let n = Glibc.read(0, buffer.baseAddress, buffer.count)
            if n > 0 { return n }
            if n == 0 { ended = true; return 0 }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return 0 }
            throw SourceError("stdin: \(String(cString: strerror(errno)))")
        }
    }
}

/// A gzip-rotated log (`debug.log.2.gz`), inflated with zlib. Offsets are in uncompressed bytes;
/// reading is sequential, so a resume inflates from the start and skips what was read before.
public final class GzipSource: ByteSource {
    public let path: String
    private let file: FileSource
    private var stream = z_stream()
    private var input = [UInt8](repeating: 0, count: 256 * 1024)
    private var compressedOffset: Int64 = 0
    private var produced: Int64 = 0
    private var finished = false
    private var started = false

    public init(path: String) throws {
        self.path = path
        file = try FileSource(path: path)
    }

    deinit { if started { inflateEnd(&stream) } }

    public var size: Int64 { 0 }

    public func identity(fingerprintLength: Int?) -> FileIdentity {
        file.identity(fingerprintLength: fingerprintLength)
    }

    public func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if offset < produced || !started { try restart() }
        var skip = offset - produced
        var scratch = [UInt8](repeating: 0, count: skip > 0 ? 256 * 1024 : 0)
        while skip > 0 {
            let n = try scratch.withUnsafeMutableBytes {
                try inflate(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<Int(min(Int64($0.count), skip))]))
            }
            if n == 0 { return 0 }
            skip -= Int64(n)
        }
        return try inflate(into: buffer)
    }

    private func restart() throws {
        if started { inflateEnd(&stream) }
        stream = z_stream()
        guard runledger_inflate_init(&stream) == Z_OK else { throw SourceError("\(path): zlib could not start") }
        started = true
        compressedOffset = 0
        produced = 0
        finished = false
    }

    /// Inflates up to `out.count` bytes; 0 at the end of the data.
    private func inflate(into out: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, out.count > 0 else { return 0 }
        return try input.withUnsafeMutableBytes { inBuf -> Int in
            stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(out.count)
            while stream.avail_out > 0 {
                if stream.avail_in == 0 {
                    let n = try file.read(at: compressedOffset, into: inBuf)
                    if n == 0 { finished = true; break }
                    compressedOffset += Int64(n)
                    stream.next_in = inBuf.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = uInt(n)
                }
                let rc = CZlib.inflate(&stream, Z_NO_FLUSH)
                if rc == Z_STREAM_END {
                    // Concatenated gzip members (`cat a.gz b.gz`) go on; the end of the input ends it.
                    if stream.avail_in == 0,
                        try file.read(at: compressedOffset, into: UnsafeMutableRawBufferPointer(rebasing: inBuf[0..<1]))
                            == 0
                    {
                        finished = true
                        break
                    }
                    inflateReset(&stream)
                } else if rc != Z_OK && rc != Z_BUF_ERROR {
                    throw SourceError("\(path): not valid gzip data (zlib error \(rc))")
                } else if rc == Z_BUF_ERROR && stream.avail_in > 0 {
                    throw SourceError("\(path): gzip data is damaged")
                }
            }
            let n = out.count - Int(stream.avail_out)
            produced += Int64(n)
            return n
        }
    }
}
