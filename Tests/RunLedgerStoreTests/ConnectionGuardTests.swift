import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import RunLedgerServer

/// The connection guard on embedded channels, whose clock the test moves: exact, and no waiting.
/// (The end-to-end side, real sockets against `serve`, is in ConnectionLimitTests.)
@Suite struct ConnectionGuardTests {
    func connected(_ gate: ConnectionGate) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: ConnectionGuardHandler(gate: gate))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    func ask(_ channel: EmbeddedChannel) throws {
        try channel.writeInbound(
            HTTPRequestPart.head(HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/")))
        try channel.writeInbound(HTTPRequestPart.end(nil))
    }

    func answer(_ channel: EmbeddedChannel) throws {
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
    }

    @Test func aRequestNotAnsweredWithinThirtySecondsIsClosed() throws {
        let channel = try connected(ConnectionGate())
        try ask(channel)
        // Past the 5 s header timeout: a request in progress is not idle.
        channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }

    @Test func aKeepAliveConnectionHasFiveSecondsForItsNextRequest() throws {
        let channel = try connected(ConnectionGate())
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        try ask(channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(20))
        try answer(channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }

    @Test func atTheCapTheLongestIdleConnectionMakesRoomAndBusyOnesStay() throws {
        let gate = ConnectionGate(limits: ConnectionLimits(maxConnections: 2))
        let busy = try connected(gate)
        try ask(busy)
        let idle = try connected(gate)
        #expect(gate.open == 2)
        let newcomer = try connected(gate)
        #expect(!idle.isActive)
        #expect(busy.isActive && newcomer.isActive)
        #expect(gate.open == 2 && gate.evicted == 1)
        // Every connection busy: the next one is refused rather than one in progress cut.
        try ask(newcomer)
        let refused = try connected(gate)
        #expect(!refused.isActive)
        #expect(busy.isActive && newcomer.isActive && gate.open == 2)
        try answer(busy)
        _ = try busy.close().wait()
        #expect(gate.open == 1)
    }
}
