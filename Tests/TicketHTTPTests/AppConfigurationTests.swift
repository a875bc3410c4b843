import Configuration
import Hummingbird
import Prometheus
import Testing

@testable import TicketHTTP

@Suite struct AppConfigurationTests {
    @Test func defaults() {
        let configuration = AppConfiguration(reader: ConfigReader(provider: InMemoryProvider(values: [:])))
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 3049)
        #expect(configuration.backlog == 4096)
        #expect(configuration.maxConnections == nil)
        #expect(configuration.serverName == "ticketd")
        #expect(configuration.adminToken == nil)
        #expect(configuration.environment == "development")
        #expect(configuration.version == AppConfiguration.release)
    }

    @Test func readsEveryKey() {
        let reader = ConfigReader(
            provider: InMemoryProvider(values: [
                "host": "127.0.0.1", "port": 8080, "http.backlog": 128, "http.maxConnections": 900, "http.serverName": "t1",
                "admin.token": .init(.string("tok"), isSecret: true), "app.env": "production", "app.version": "2.0.0",
            ])
        )
        let configuration = AppConfiguration(reader: reader)
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.backlog == 128)
        #expect(configuration.maxConnections == 900)
        #expect(configuration.serverName == "t1")
        #expect(configuration.adminToken == "tok")
        #expect(configuration.environment == "production")
        #expect(configuration.version == "2.0.0")
    }

    @Test func environmentVariableNames() {
        let provider = EnvironmentVariablesProvider(environmentVariables: [
            "PORT": "4000", "ADMIN_TOKEN": "envtok", "APP_ENV": "test", "HTTP_BACKLOG": "64", "HTTP_MAX_CONNECTIONS": "500", "HOST": "::1",
            "HTTP_SERVER_NAME": "edge", "APP_VERSION": "9.9.9",
        ])
        let configuration = AppConfiguration(reader: ConfigReader(provider: provider))
        #expect(configuration.port == 4000)
        #expect(configuration.adminToken == "envtok")
        #expect(configuration.environment == "test")
        #expect(configuration.backlog == 64)
        #expect(configuration.maxConnections == 500)
        #expect(configuration.host == "::1")
        #expect(configuration.serverName == "edge")
        #expect(configuration.version == "9.9.9")
    }

    @Test func connectionLimitKeepsAReserveOfDescriptors() {
        #expect(ConnectionLimit.maxConnections(openFiles: 20_000) == 18_750)
        #expect(ConnectionLimit.maxConnections(openFiles: 1024) == 960)
        #expect(ConnectionLimit.maxConnections(openFiles: 256) == 192)
        #expect(ConnectionLimit.maxConnections(openFiles: 10) == 1)
        #expect(ConnectionLimit.maxConnections(openFiles: .max) > 0)
    }

    @Test func acceptBatchesStayWithinTheReserve() {
        #expect(ConnectionLimit.acceptsPerRead(openFiles: 20_000) == 256)
        #expect(ConnectionLimit.acceptsPerRead(openFiles: 1024) == 32)
        #expect(ConnectionLimit.acceptsPerRead(openFiles: 256) == 32)
        #expect(ConnectionLimit.acceptsPerRead(openFiles: 10) == 1)
    }

    @Test func buildApplicationUsesTheBacklogAndConnectionLimit() {
        let app = buildApplication(
            configuration: AppConfiguration(host: "127.0.0.1", port: 0, backlog: 777, maxConnections: 300),
            store: FakeTicketStore(),
            auditor: nil,
            prometheus: PrometheusCollectorRegistry(),
            logger: LogCapture().logger()
        )
        #expect(app.configuration.backlog == 777)
        #expect(app.configuration.availableConnectionsDelegate != nil)
        #expect(app.configuration.serverName == "ticketd")
    }
}
