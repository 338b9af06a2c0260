#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Sleeps until something may have changed: an inotify event in a watched directory, a readable
/// descriptor (a journal's), or the fallback timeout — whichever comes first. Without inotify (or
/// on file systems that do not report changes) the timeout alone drives following, like a poll.
public final class ChangeWaiter {
    private let inotify: Int32
    private var watched: [String: Int32] = [:]
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    public init() {
        #if os(Linux)
            inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        #else
            inotify = -1
        #endif
    }

    deinit { if inotify >= 0 { close(inotify) } }

    /// Watches `directory` for files appearing, growing, moving or going away (once per directory).
    public func watch(directory: String) {
        #if os(Linux)
            guard inotify >= 0, watched[directory] == nil else { return }
            let mask = UInt32(
                IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB)
            let wd = inotify_add_watch(inotify, directory, mask)
            if wd >= 0 { watched[directory] = wd }
        #endif
    }

    /// Waits at most `timeoutMs` for a change; `extra` descriptors (e.g. a journal's) also wake it.
    /// Returns true when something signalled a change.
    @discardableResult
    public func wait(timeoutMs: Int32, extra: [(fd: Int32, events: Int16)] = []) -> Bool {
        var fds: [pollfd] = []
        if inotify >= 0 { fds.append(pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)) }
        for e in extra where e.fd >= 0 { fds.append(pollfd(fd: e.fd, events: e.events, revents: 0)) }
        let n = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), timeoutMs) }
        if inotify >= 0, n > 0, fds[0].revents != 0 {
            // Drain the events: which file changed does not matter, every source is re-read.
            while read(inotify, &buffer, buffer.count) > 0 {}
        }
        return n > 0
    }
}

/// Expands a glob pattern (`logs/run_*.log`) to the matching paths, sorted; a plain path to itself.
public func expandGlob(_ pattern: String) -> [String] {
    guard pattern.contains(where: { "*?[".contains($0) }) else { return [pattern] }
    var g = glob_t()
    defer { globfree(&g) }
    guard glob(pattern, 0, nil, &g) == 0 else { return [] }
    var out: [String] = []
    for i in 0..<Int(g.gl_pathc) {
        if let p = g.gl_pathv[i] { out.append(String(cString: p)) }
    }
    return out.sorted()
}

/// The directory a path names a file in (`.` for a bare name, `/` for a file at the root).
public func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}
