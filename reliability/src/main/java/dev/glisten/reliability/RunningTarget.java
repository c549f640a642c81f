package dev.glisten.reliability;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import javax.net.ssl.SSLContext;

/**
 * A {@link Target}'s server, started (after its upstream, for a proxy), with what its clients and
 * abusers need to reach it.
 *
 * @param target the scenario
 * @param server the server's process
 * @param upstream the upstream's process, for a proxy
 * @param dialer how legitimate clients connect
 * @param victim what abusers need to know
 */
record RunningTarget(Target target, ServerProcess server, Optional<ServerProcess> upstream, Dialer dialer,
        Abuse.Victim victim) implements AutoCloseable {

    /**
     * Starts the target's server.
     *
     * @param suffix added to the target's name in the log files, to tell runs of one target apart
     * @param clientTls the context that trusts the run's certificate
     * @param extraOptions more options for the example, such as {@code --drain-timeout 2}
     */
    static RunningTarget start(Target target, String suffix, ServerProcess.Setup setup, OptionalInt fdLimit,
            Certificate certificate, SSLContext clientTls, List<String> extraOptions)
            throws IOException, InterruptedException {
        Optional<ServerProcess> upstream = Optional.empty();
        List<String> args = new ArrayList<>();
        args.add(target.example());
        args.addAll(target.options());
        args.addAll(extraOptions);
        if (target.upstream().isPresent()) {
            ServerProcess relayedTo = ServerProcess.start(target.name() + suffix + "-upstream", setup, OptionalInt.empty(),
                    List.of(target.upstream().get()));
            upstream = Optional.of(relayedTo);
            args.addAll(List.of("--upstream", "127.0.0.1:" + relayedTo.address().getPort()));
        }
        ServerProcess server;
        try {
            server = ServerProcess.start(target.name() + suffix, setup, fdLimit, args);
        } catch (IOException | InterruptedException | RuntimeException e) {
            upstream.ifPresent(ServerProcess::close);
            throw e;
        }
        Dialer dialer = new Dialer(server.address(), target.security() == Target.Security.TLS ? clientTls : null,
                target.security() == Target.Security.PROXY_HEADER);
        byte[] hello = target.security() == Target.Security.TLS ? Certificate.clientHello(clientTls) : new byte[0];
        return new RunningTarget(target, server, upstream, dialer,
                new Abuse.Victim(dialer, target.wire(), target.serverTimeout(), hello));
    }

    /** The server and its upstream: everything whose resources the run watches. */
    List<ServerProcess> processes() {
        List<ServerProcess> all = new ArrayList<>();
        all.add(server);
        upstream.ifPresent(all::add);
        return all;
    }

    @Override
    public void close() {
        server.close();
        upstream.ifPresent(ServerProcess::close);
    }
}
