import Testing
import Tracing

@testable import OTLPTracing

@Suite struct OTLPTracingConfigurationTests {
    static func configuration(_ environment: [String: String]) throws -> OTLPTracingConfiguration? {
        try OTLPTracingConfiguration(environment: environment, serviceName: "ticketd")
    }

    @Test func withoutAnEndpointOrWhenDisabledTracingIsOff() throws {
        #expect(try Self.configuration([:]) == nil)
        #expect(try Self.configuration(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"]) == nil)
        #expect(try Self.configuration(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_EXPORTER": "none"]) == nil)
    }

    @Test func aBaseEndpointGetsTheTracesPathASignalEndpointIsTakenAsItIs() throws {
        let base = try #require(try Self.configuration(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"]))
        #expect(base.endpoint == OTLPEndpoint(url: "http://collector:4318/v1/traces"))
        let signal = try #require(
            try Self.configuration([
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://ignored:1", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://[::1]:9000/custom",
            ])
        )
        #expect(signal.endpoint.host == "::1" && signal.endpoint.port == 9000 && signal.endpoint.path == "/custom")
        #expect(signal.endpoint.authority == "[::1]:9000")
        #expect(OTLPEndpoint(url: "http://localhost")?.port == 80)
    }

    @Test func anEndpointsQueryIsKeptAfterTheTracesPathAndItsFragmentDropped() throws {
        let base = try #require(try Self.configuration(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/otlp/?tenant=a%20b#top"]))
        #expect(base.endpoint.requestTarget == "/otlp/v1/traces?tenant=a%20b")
        #expect(base.endpoint.description == "http://collector:4318/otlp/v1/traces?tenant=a%20b")
        let signal = try #require(try Self.configuration(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318?key=1"]))
        #expect(signal.endpoint.path == "/" && signal.endpoint.query == "key=1")
        #expect(OTLPEndpoint(url: "http://collector:4318/v1/traces?")?.query == "")
        #expect(OTLPEndpoint(url: "http://collector:4318/v1/traces#only-a-fragment")?.requestTarget == "/v1/traces")
    }

    @Test(arguments: ["http://collector:4318/a b", "http://collector:4318/v1/traces\r\nX-Injected: 1", "http://collector:4318/\u{7F}"])
    func anEndpointNoRequestLineCanCarryIsRefused(url: String) {
        #expect(OTLPEndpoint(url: url) == nil)
        #expect(throws: OTLPConfigurationError.self) { try Self.configuration(["OTEL_EXPORTER_OTLP_ENDPOINT": url]) }
    }

    @Test func aQueueSmallerThanTheDefaultBatchMakesTheBatchAsSmall() throws {
        let configuration = try #require(
            try Self.configuration(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_BSP_MAX_QUEUE_SIZE": "100"])
        )
        #expect(configuration.maxQueueSize == 100 && configuration.maxExportBatchSize == 100)
    }

    @Test func theDefaultsAreOpenTelemetrys() throws {
        let configuration = try #require(try Self.configuration(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"]))
        #expect(configuration.sampler == TraceSampler(rule: .alwaysOn, followsParent: true))
        #expect(configuration.scheduleDelay == .seconds(5) && configuration.timeout == .seconds(10))
        #expect(configuration.maxQueueSize == 2048 && configuration.maxExportBatchSize == 512)
        #expect(configuration.headers.isEmpty)
        #expect(configuration.resource.first?.key == "service.name" && configuration.resource.first?.value == "ticketd")
    }

    @Test func headersAndResourceAttributesArePercentDecodedPairs() throws {
        let configuration = try #require(
            try Self.configuration([
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
                "OTEL_EXPORTER_OTLP_HEADERS": "api-key=a%20b%3Dc, tenant = blue",
                "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod,service.name=ignored",
                "OTEL_SERVICE_NAME": "box-office",
            ])
        )
        #expect(configuration.headers.map { "\($0.name)=\($0.value)" } == ["api-key=a b=c", "tenant=blue"])
        #expect(configuration.resource.first?.value == "box-office")
        #expect(configuration.resource.contains { $0.key == "deployment.environment" && $0.value == "prod" })
        #expect(!configuration.resource.contains { $0.value == "ignored" })
    }

    @Test func aRepeatedResourceAttributeKeepsItsLastValue() throws {
        let configuration = try #require(
            try Self.configuration([
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
                "OTEL_RESOURCE_ATTRIBUTES": "dup=1,service.name=first,dup=2,service.name=second,telemetry.sdk.name=mine",
            ])
        )
        #expect(configuration.resource.filter { $0.key == "dup" }.map(\.value) == ["2"])
        #expect(configuration.resource.filter { $0.key == "service.name" }.map(\.value) == ["second"])
        #expect(configuration.resource.filter { $0.key == "telemetry.sdk.name" }.map(\.value) == ["mine"])
        #expect(Set(configuration.resource.map(\.key)).count == configuration.resource.count)
    }

    @Test(arguments: [
        ["OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector:4318"],
        ["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"],
        ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:99999/v1/traces"],
        ["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"],
        ["OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "gzip"],
        ["OTEL_EXPORTER_OTLP_HEADERS": "no-equals-sign"],
        ["OTEL_EXPORTER_OTLP_HEADERS": "x-a=1%0D%0AX-Injected: 2"],  // a CR LF would end the header early
        ["OTEL_EXPORTER_OTLP_HEADERS": "content-length=5"],  // the exporter's own: the request would have two
        ["OTEL_EXPORTER_OTLP_TRACES_HEADERS": "Host=evil"],
        ["OTEL_EXPORTER_OTLP_HEADERS": "bad name=1"],
        ["OTEL_EXPORTER_OTLP_TIMEOUT": "soon"],
        ["OTEL_EXPORTER_OTLP_TIMEOUT": "0"],
        ["OTEL_BSP_SCHEDULE_DELAY": "0"],
        ["OTEL_BSP_MAX_QUEUE_SIZE": "0"],
        ["OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "5000"],  // above the queue's 2048
        ["OTEL_BSP_MAX_QUEUE_SIZE": "100", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "101"],
        ["OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"],
        ["OTEL_TRACES_EXPORTER": "console"],
    ])
    func anUnusableValueIsAnErrorNamingItsVariable(environment: [String: String]) {
        var all = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"]
        all.merge(environment) { $1 }
        #expect {
            _ = try Self.configuration(all)
        } throws: { error in
            guard let error = error as? OTLPConfigurationError else { return false }
            return environment.keys.contains(error.variable) && !error.problem.isEmpty
        }
    }
}
