import Foundation
import RedisTestSupport

/// nginx (Debian's `/usr/sbin/nginx`) in front of several ticketd instances on a free port, in the foreground as a
/// child process, with its configuration, logs and temporary files in `directory`. Like `make cluster-demo`: least
/// connections, keep-alive to the instances.
struct NginxProxy: Sendable {
    let process: ChildProcess
    let port: Int

    /// Starts nginx proxying to the instances on `upstreams` and waits until `/livez` answers through it.
    static func start(upstreams: [Int], directory: String) async throws -> NginxProxy {
        let port = try FreePort.reserve()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let servers = upstreams.map { "        server 127.0.0.1:\($0);" }.joined(separator: "\n")
        let configuration = """
            worker_processes 2;
            worker_rlimit_nofile 20000;
            error_log \(directory)/error.log warn;
            pid \(directory)/nginx.pid;
            daemon off;
            events { worker_connections 16384; }
            http {
                access_log off;
                client_body_temp_path \(directory)/body;
                proxy_temp_path \(directory)/proxy;
                fastcgi_temp_path \(directory)/fastcgi;
                uwsgi_temp_path \(directory)/uwsgi;
                scgi_temp_path \(directory)/scgi;
                upstream ticketd {
                    least_conn;
            \(servers)
                    keepalive 512;
                }
                server {
                    listen 127.0.0.1:\(port) backlog=4096;
                    location / {
                        proxy_pass http://ticketd;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_read_timeout 120s;
                    }
                }
            }
            """
        let file = directory + "/nginx.conf"
        try configuration.write(toFile: file, atomically: true, encoding: .utf8)
        let process = try ChildProcess(
            executable: "/usr/sbin/nginx",
            arguments: ["-p", directory, "-c", file, "-e", directory + "/error.log"],
            standardOutput: directory + "/nginx.out",
            standardError: directory + "/nginx.out"
        )
        let proxy = NginxProxy(process: process, port: port)
        let client = RawHTTPClient(host: "127.0.0.1", port: port)
        try await waitUntil(timeout: .seconds(20), "nginx answers /livez") {
            if process.hasExited {
                let log = (try? String(contentsOfFile: directory + "/nginx.out", encoding: .utf8)) ?? ""
                throw TicketdProcess.ProcessError("nginx exited: \(log)")
            }
            return (try? await client.send("GET", "/livez"))?.status == 200
        }
        return proxy
    }

    /// Stops nginx (SIGTERM: a fast shutdown).
    func stop() {
        _ = self.process.terminate(gracePeriod: .seconds(10))
        FreePort.release(self.port)
    }
}
