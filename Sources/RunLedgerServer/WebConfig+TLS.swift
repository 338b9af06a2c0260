import Foundation
import HummingbirdTLS
import NIOCore
import NIOSSL

extension WebConfig {
    /// The TLS 1.2 suites Go's `tls.CipherSuites()` lists (the ones exporter-toolkit accepts by name),
    /// by their IANA code points. TLS 1.3's suites are not configurable, in Go or in BoringSSL, and
    /// are accepted and left to the library as Go does.
    static let cipherSuiteCodes: [String: UInt16] = [
        "TLS_AES_128_GCM_SHA256": 0x1301, "TLS_AES_256_GCM_SHA384": 0x1302, "TLS_CHACHA20_POLY1305_SHA256": 0x1303,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": 0xC009, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": 0xC00A,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": 0xC013, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": 0xC014,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": 0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": 0xC02C,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": 0xC02F, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": 0xC030,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": 0xCCA8, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": 0xCCA9,
    ]
    static let curveCodes: [String: NIOTLSCurve] = [
        "CurveP256": .secp256r1, "CurveP384": .secp384r1, "CurveP521": .secp521r1, "X25519": .x25519,
    ]
}

/// The server's certificate chain and key, which a reload may replace between two handshakes.
public struct TLSIdentity: Sendable {
    let chain: [NIOSSLCertificateSource]
    let key: NIOSSLPrivateKeySource
}

extension WebConfig.TLS {
    /// What a reload cannot change while serving: everything but where the certificate and key come
    /// from (BoringSSL takes a new chain and key per handshake, not new client CAs or versions).
    public var fixedPart: WebConfig.TLS {
        var fixed = self
        fixed.certificate = .text("")
        fixed.key = .text("")
        return fixed
    }

    /// The certificate and key, read and checked now (they must go together), so a wrong path or a key
    /// that does not match is refused with the file named, at start or at a reload, not at a handshake.
    public func identity(file: String) throws -> TLSIdentity {
        let chain = try load(certificate, "cert_file", file) { try NIOSSLCertificate.fromPEMBytes($0) }
        guard !chain.isEmpty else {
            throw WebConfigError("\(file): \"tls_server_config.cert_file\" holds no certificate")
        }
        let privateKey = try load(key, "key_file", file) { try NIOSSLPrivateKey(bytes: $0, format: .pem) }
        let identity = TLSIdentity(chain: chain.map { .certificate($0) }, key: .privateKey(privateKey))
        do { _ = try NIOSSLContext(configuration: try configuration(identity, file: file)) } catch {
            throw WebConfigError(
                "\(file): \"tls_server_config.key_file\" does not go with its certificate, or cannot be used (\(error))"
            )
        }
        return identity
    }

    /// The server side of `tls_server_config`; each handshake takes the chain and key `identity` gives
    /// then, so a reload's new certificate serves the next connection without a restart.
    public func channelConfiguration(
        file: String, first: TLSIdentity, identity: @escaping @Sendable () -> TLSIdentity
    ) throws -> TLSChannelConfiguration {
        var tls = try configuration(first, file: file)
        tls.sslContextCallback = { _, promise in
            let current = identity()
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = current.chain
            override.privateKey = current.key
            promise.succeed(override)
        }
        // "Any" modes take whatever certificate the client shows.
        guard clientAuth == .requestClientCert || clientAuth == .requireAnyClientCert else {
            return TLSChannelConfiguration(tlsConfiguration: tls)
        }
        return TLSChannelConfiguration(tlsConfiguration: tls) { _, promise in promise.succeed(.certificateVerified) }
    }

    private func configuration(_ identity: TLSIdentity, file: String) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: identity.chain, privateKey: identity.key)
        tls.minimumTLSVersion = Self.nio(minVersion)
        tls.maximumTLSVersion = Self.nio(maxVersion)
        let suites = cipherSuites.compactMap { WebConfig.cipherSuiteCodes[$0] }.filter { $0 < 0x1301 || $0 > 0x1303 }
        if !suites.isEmpty { tls.cipherSuiteValues = suites.map { NIOTLSCipher(rawValue: $0) } }
        if !curves.isEmpty { tls.curves = curves.compactMap { WebConfig.curveCodes[$0] } }
        if let clientCA {
            let roots = try load(clientCA, "client_ca_file", file) { try NIOSSLCertificate.fromPEMBytes($0) }
            guard !roots.isEmpty else {
                throw WebConfigError("\(file): \"tls_server_config.client_ca_file\" holds no certificate")
            }
            tls.trustRoots = .certificates(roots)
        }
        // Go's modes in BoringSSL's terms: whether a certificate is asked for, required, and checked
        // against the client CAs.
        switch clientAuth {
        case .noClientCert: tls.certificateVerification = .none
        case .requestClientCert, .verifyClientCertIfGiven: tls.certificateVerification = .optionalVerification
        case .requireAnyClientCert, .requireAndVerifyClientCert: tls.certificateVerification = .noHostnameVerification
        }
        return tls
    }

    private func load<T>(_ source: WebConfig.PEM, _ key: String, _ file: String, _ parse: ([UInt8]) throws -> T)
        throws -> T
    {
        switch source {
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw WebConfigError("\(file): \"tls_server_config.\(key)\": cannot read \(path)")
            }
            do { return try parse(Array(data)) } catch {
                throw WebConfigError("\(file): \"tls_server_config.\(key)\": \(path) is not PEM (\(error))")
            }
        case .text(let pem):
            let inline = String(key.dropLast(5))
            do { return try parse(Array(pem.utf8)) } catch {
                throw WebConfigError("\(file): \"tls_server_config.\(inline)\" is not PEM (\(error))")
            }
        }
    }

    private static func nio(_ v: WebConfig.TLSVersion) -> TLSVersion {
        switch v {
        case .tls10: .tlsv1
        case .tls11: .tlsv11
        case .tls12: .tlsv12
        case .tls13: .tlsv13
        }
    }
}
