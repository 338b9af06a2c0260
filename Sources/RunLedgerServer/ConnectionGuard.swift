import Foundation
import NIOCore
import NIOHTTPTypes
import Synchronization

/// How long a connection may take, and how many may be open at once.
///
/// Without these, ~21,000 half-open connections exhausted the file descriptors and `/healthz`
/// timed out: nothing ever closed a connection that had sent nothing, or half a header.
public struct ConnectionLimits: Sendable {
    /// Connections held open at once; beyond it, the one that has waited longest without a request
    /// in progress is closed to make room (as nginx reuses idle keep-alive connections).
    public var maxConnections: Int
    /// A connection must send a complete request head within this long of opening or of its last
    /// response. One timer covers the idle keep-alive, the half-open and the slowloris client
    /// (bytes trickled into a header that never ends do not reset it).
    public var headerTimeout: TimeAmount
    /// From a request's head to its response's last byte written to the socket: a handler that
    /// hangs or a client that does not read its answer cannot hold the connection longer.
    public var requestTimeout: TimeAmount

    public static let defaultMaxConnections = 512

    public init(
        maxConnections: Int = defaultMaxConnections, headerTimeout: TimeAmount = .seconds(5),
        requestTimeout: TimeAmount = .seconds(30)
    ) {
        self.maxConnections = maxConnections
        self.headerTimeout = headerTimeout
        self.requestTimeout = requestTimeout
    }
}

/// The open connections, shared by every event loop's connections.
public final class ConnectionGate: Sendable {
    private struct Entry {
        let channel: any Channel
        /// When it last started waiting for a request head (opened, or its last response written).
        var waitingSince: NIODeadline
        var busy: Bool
    }

    public let limits: ConnectionLimits
    private struct Open {
        var entries: [ObjectIdentifier: Entry] = [:]
        /// Idle connections closed because the cap was reached.
        var closedToMakeRoom = 0
    }

    private let state = Mutex(Open())

    public init(limits: ConnectionLimits = ConnectionLimits()) { self.limits = limits }

    public var open: Int { state.withLock { $0.entries.count } }
    /// Idle connections closed because the cap was reached.
    public var evicted: Int { state.withLock { $0.closedToMakeRoom } }

    /// Admits a new connection, closing the longest-waiting idle one when the cap is reached.
    /// False when every open connection has a request in progress: the new one is to be closed.
    func opened(_ channel: any Channel) -> Bool {
        var victim: (any Channel)?
        let admitted: Bool = state.withLock { s in
            if s.entries.count >= limits.maxConnections {
                // The oldest waiter, not the newest: a new connection is a client about to ask (a
                // scrape, a health check), the oldest is the likeliest to be abandoned or hostile.
                guard
                    let oldest = s.entries.filter({ !$0.value.busy }).min(by: {
                        $0.value.waitingSince < $1.value.waitingSince
                    })
                else { return false }
                s.entries[oldest.key] = nil
                victim = oldest.value.channel
                s.closedToMakeRoom += 1
            }
            s.entries[ObjectIdentifier(channel)] = Entry(channel: channel, waitingSince: .now(), busy: false)
            return true
        }
        victim?.close(promise: nil)
        return admitted
    }

    func setBusy(_ channel: any Channel, _ busy: Bool) {
        state.withLock { s in
            s.entries[ObjectIdentifier(channel)]?.busy = busy
            if !busy { s.entries[ObjectIdentifier(channel)]?.waitingSince = .now() }
        }
    }

    func closed(_ channel: any Channel) {
        _ = state.withLock { $0.entries.removeValue(forKey: ObjectIdentifier(channel)) }
    }
}

/// Enforces `ConnectionLimits` on one connection: counts it in the gate, closes it when a request
/// head is late or a request takes too long. Sits after the HTTP/1 decoder, so it sees whole heads.
public final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    private let gate: ConnectionGate
    private var started = false
    private var finished = false
    private var inFlight = 0
    private var timer: Scheduled<Void>?

    public init(gate: ConnectionGate) { self.gate = gate }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        finish(context)
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) { finish(context) }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            inFlight += 1
            if inFlight == 1 { gate.setBusy(context.channel, true) }
            arm(context, limits.requestTimeout)
        }
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else { return context.write(data, promise: promise) }
        // Done when the last byte reached the socket, not when the handler handed it over: a client
        // that does not read its answer stays under the request timeout.
        let written = context.eventLoop.makePromise(of: Void.self)
        // On the channel's event loop, like every call of a handler: the isolated view says so to the compiler.
        written.futureResult.assumeIsolated().whenComplete { [self] _ in
            inFlight -= 1
            guard inFlight == 0, !finished else { return }
            gate.setBusy(context.channel, false)
            arm(context, limits.headerTimeout)
        }
        if let promise { written.futureResult.cascade(to: promise) }
        context.write(data, promise: written)
    }

    private var limits: ConnectionLimits { gate.limits }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        guard gate.opened(context.channel) else {
            finished = true
            context.close(promise: nil)
            return
        }
        arm(context, limits.headerTimeout)
    }

    private func finish(_ context: ChannelHandlerContext) {
        guard started, !finished else { return }
        finished = true
        timer?.cancel()
        timer = nil
        gate.closed(context.channel)
    }

    private func arm(_ context: ChannelHandlerContext, _ after: TimeAmount) {
        timer?.cancel()
        guard !finished else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: after) { context.close(promise: nil) }
    }
}
