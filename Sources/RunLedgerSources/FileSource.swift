#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failure to read a source, worded for a one-line message: `PATH: what is wrong`.
public struct SourceError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Which file an offset refers to: device and inode, plus a hash of its first bytes (up to 4 KiB) so
/// that a file replaced under the same name, a reused inode, or a file truncated and written again
/// is recognised. Log lines share long prefixes (timestamp, logger name), so a few bytes would not do.
public struct FileIdentity: Equatable, Sendable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64
    /// How many leading bytes the fingerprint covers (fewer than the maximum while the file is small).
    public var fingerprintLength: Int
    public var fingerprint: UInt64

    public var description: String { "\(device):\(inode):\(fingerprintLength):\(String(fingerprint, radix: 16))" }

    public init?(_ text: String) {
        let p = text.split(separator: ":")
        guard p.count == 4, let d = UInt64(p[0]), let i = UInt64(p[1]), let n = Int(p[2]),
            let f = UInt64(p[3], radix: 16)
        else { return nil }
        self.init(device: d, inode: i, fingerprintLength: n, fingerprint: f)
    }

    public init(device: UInt64, inode: UInt64, fingerprintLength: Int, fingerprint: UInt64) {
        self.device = device
        self.inode = inode
        self.fingerprintLength = fingerprintLength
        self.fingerprint = fingerprint
    }
}

/// Bytes a `FileIngest` reads: a log file, standard input, or a gzip-rotated file.
public protocol ByteSource: AnyObject {
    var path: String { get }
    /// Bytes there are now (0 when a stream cannot tell).
    var size: Int64 { get }
    func identity(fingerprintLength: Int?) -> FileIdentity
    /// Up to `buffer.count` bytes at `offset` (a stream reads on from where it is); 0 when none now.
    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// A file that can be rotated, truncated or replaced under its name (not stdin, not a .gz).
    var followsByName: Bool { get }
    /// A stream that has ended for good (stdin closed).
    var ended: Bool { get }
}

extension ByteSource {
    public var followsByName: Bool { false }
    public var ended: Bool { false }

    /// Whether `saved` names this source as it is now.
    public func matches(_ saved: FileIdentity) -> Bool {
        identity(fingerprintLength: saved.fingerprintLength) == saved
    }
}

/// Opens `path` as the right kind of source: `-` is standard input, `*.gz` is gzip, else a file.
public func openByteSource(_ path: String, followingStdin: Bool) throws -> any ByteSource {
    if path == "-" { return StdinSource(nonBlocking: followingStdin) }
    if path.hasSuffix(".gz") { return try GzipSource(path: path) }
    return try FileSource(path: path)
}

/// An open log file, read by offset. The file stays open, so a rename does not lose what was written.
public final class FileSource: ByteSource {
    public var followsByName: Bool { true }

    public let path: String
    private let fd: Int32

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SourceError("\(path): \(String(cString: strerror(errno)))") }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw SourceError("\(path): is a directory, not a log file")
        }
    }

    deinit { close(fd) }

    public var size: Int64 {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int64(st.st_size) : 0
    }

    /// When the file was last written (a rename does not change it), in nanoseconds since the epoch.
    public var modificationTimeNs: Int64 {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return 0 }
        return Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    }

    public static let fingerprintBytes = 4096

    /// The file's identity, with the fingerprint over `length` leading bytes (at most 4 KiB).
    public func identity(fingerprintLength length: Int? = nil) -> FileIdentity {
        var st = stat()
        fstat(fd, &st)
        let want = min(length ?? Self.fingerprintBytes, Self.fingerprintBytes)
        var head = [UInt8](repeating: 0, count: want)
        let n = want == 0 ? 0 : head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, 0) }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for b in head.prefix(max(0, n)) { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        return FileIdentity(
            device: UInt64(st.st_dev), inode: UInt64(st.st_ino), fingerprintLength: max(0, n), fingerprint: hash)
    }

    /// Reads up to `buffer.count` bytes at `offset`; returns 0 at the end of the file.
    public func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw SourceError("\(path): \(String(cString: strerror(errno)))")
        }
    }
}
