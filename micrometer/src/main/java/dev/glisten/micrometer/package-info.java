/**
 * Micrometer metrics for glisten servers, in a module of its own so that {@code dev.glisten} keeps
 * no dependencies. Bind a {@link dev.glisten.micrometer.GlistenMetrics} to any registry once the
 * server has started:
 *
 * <pre>{@code
 * Server server = Server.<Void, Void>builder(connection -> null, handler).start(3000);
 * new GlistenMetrics(server, Tags.of("name", "echo")).bindTo(registry);
 * }</pre>
 *
 * <p>The registry then has {@code glisten.tcp.server.connections.active}, {@code .connections.accepted},
 * {@code .connections.closed} (by {@code reason}), {@code .data.received} and {@code .data.sent} in
 * bytes, {@code .tls.handshakes} (by {@code outcome}) and the rest listed on
 * {@link dev.glisten.micrometer.GlistenMetrics}, each tagged with the server's {@code local.address};
 * Prometheus shows them as {@code glisten_tcp_server_connections_active},
 * {@code glisten_tcp_server_data_received_bytes_total} and so on. Maven coordinates:
 * {@code dev.glisten:glisten-micrometer}, which brings {@code io.micrometer:micrometer-core}; on the
 * module path, {@code requires dev.glisten.micrometer;}.
 */
package dev.glisten.micrometer;
