import NIOCore
import NIOPosix

/// A `serve` option the server cannot take, said in one line.
public struct ServerOptionError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The listen address, tried before anything else is opened, so a second RunLedger on a taken port says
/// `listen 127.0.0.1:9477: address already in use` and nothing else (not a ledger lock, not a source).
public enum ListenAddress {
    /// Binds the address as the server will (SO_REUSEADDR, so a port in TIME_WAIT is free) and lets it go.
    /// Port 0 is always free.
    public static func checkFree(host: String, port: Int) async throws {
        guard port != 0 else { return }
        do {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port).get()
            try await channel.close()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw ServerOptionError("listen \(host):\(port): address already in use")
        } catch let error as IOError where error.errnoCode == EADDRNOTAVAIL {
            throw ServerOptionError("listen \(host):\(port): no interface of this machine has that address")
        } catch let error as IOError where error.errnoCode == EACCES {
            throw ServerOptionError("listen \(host):\(port): permission denied (ports below 1024 need privileges)")
        } catch {
            throw ServerOptionError("listen \(host):\(port): \(error)")
        }
    }
}
