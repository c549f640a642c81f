package dev.glisten.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.examples.CommandLine.Help;
import dev.glisten.examples.CommandLine.Run;
import dev.glisten.examples.CommandLine.UsageException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CommandLineTest {

    @TempDir
    static Path certificates;

    private static TestCertificate server;
    private static TestCertificate other;

    @BeforeAll
    static void makeCertificates() throws Exception {
        server = TestCertificate.generate(certificates, "server");
        other = TestCertificate.generate(certificates, "other");
    }

    @Test
    void anExampleAloneRunsOnPort3000OfEveryIpv4Address() throws Exception {
        assertThat(CommandLine.parse(List.of("echo"))).isEqualTo(new Run(Example.ECHO, 3000, "0.0.0.0"));
    }

    @Test
    void optionsMayComeBeforeOrAfterTheExample() throws Exception {
        assertThat(CommandLine.parse(List.of("--port", "0", "chat", "--bind", "::1")))
                .isEqualTo(new Run(Example.CHAT, 0, "::1"));
    }

    @Test
    void aValueMayBeJoinedToItsFlagWithEquals() throws Exception {
        assertThat(CommandLine.parse(List.of("lowlevel", "--port=65535", "--bind=127.0.0.1")))
                .isEqualTo(new Run(Example.LOWLEVEL, 65535, "127.0.0.1"));
    }

    @Test
    void byDefaultTheLibrarysConnectionLimitNoIdleTimeoutAndATenSecondDrain() throws Exception {
        Run run = (Run) CommandLine.parse(List.of("chat"));

        assertThat(run.maxConnections()).isEmpty();
        assertThat(run.idleTimeout()).isEmpty();
        assertThat(run.drainTimeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void theProductionControlsAreRead() throws Exception {
        Run run = (Run) CommandLine.parse(List.of("echo", "--max-connections", "2", "--idle-timeout", "0.5",
                "--drain-timeout", "2"));

        assertThat(run).isEqualTo(new Run(Example.ECHO, 3000, "0.0.0.0", Optional.empty(), OptionalInt.of(2),
                Optional.of(Duration.ofMillis(500)), Duration.ofSeconds(2)));
    }

    @Test
    void theProxyProtocolSwitchIsRead() throws Exception {
        assertThat(((Run) CommandLine.parse(List.of("chat", "--proxy-protocol"))).proxyProtocol()).isTrue();
        assertThat(((Run) CommandLine.parse(List.of("echo"))).proxyProtocol()).isFalse();
    }

    @Test
    void theProductionControlsTakeEqualsToo() throws Exception {
        Run run = (Run) CommandLine.parse(List.of("--max-connections=2147483647", "--idle-timeout=30", "chat",
                "--drain-timeout=0"));

        assertThat(run.maxConnections()).hasValue(Integer.MAX_VALUE);
        assertThat(run.idleTimeout()).hasValue(Duration.ofSeconds(30));
        assertThat(run.drainTimeout()).isZero();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "0.5          | PT0.5S",
        ".25          | PT0.25S",
        "1.           | PT1S",
        "007          | PT7S",
        "2.000000001  | PT2.000000001S",
        "0.0000000001 | PT0.000000001S",
        "31536000     | PT8760H",
    })
    void secondsMayHaveDecimalsAndAPositiveValueStaysPositive(String value, Duration expected) throws Exception {
        Run run = (Run) CommandLine.parse(List.of("echo", "--idle-timeout", value, "--drain-timeout", value));

        assertThat(run.idleTimeout()).hasValue(expected);
        assertThat(run.drainTimeout()).isEqualTo(expected);
    }

    @Test
    void theLowLevelExampleTakesADrainTimeout() throws Exception {
        // Accepted so that one command line suits every example, though lowlevel stops at once.
        assertThat(((Run) CommandLine.parse(List.of("lowlevel", "--drain-timeout", "3"))).drainTimeout())
                .isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void unixAndListenSocketsAreRead() throws Exception {
        Run unix = (Run) CommandLine.parse(List.of("chat", "--unix", "/tmp/chat.sock"));
        assertThat(unix.unixPath()).hasValue(java.nio.file.Path.of("/tmp/chat.sock"));
        assertThat(unix.listenSockets()).isEmpty();

        Run reusePort = (Run) CommandLine.parse(List.of("echo", "--listen-sockets=4", "--port", "0"));
        assertThat(reusePort.unixPath()).isEmpty();
        assertThat(reusePort.listenSockets()).hasValue(4);
    }

    @Test
    void echoPacketsAreRawUnlessAModeIsGiven() throws Exception {
        Run raw = (Run) CommandLine.parse(List.of("echo"));
        assertThat(raw.packet()).isEqualTo(PacketMode.RAW);
        assertThat(raw.maxPacket()).isEmpty();

        Run lines = (Run) CommandLine.parse(List.of("echo", "--packet", "line", "--max-packet=1024"));
        assertThat(lines.packet()).isEqualTo(PacketMode.LINE);
        assertThat(lines.maxPacket()).hasValue(1024);
    }

    @ParameterizedTest(name = "--packet {0} -> {1}")
    @CsvSource({
        "raw,  Framing.raw",
        "line, Framing.lines(0xa)",
        "1,    Framing.lengthPrefixed(1)",
        "2,    Framing.lengthPrefixed(2)",
        "4,    Framing.lengthPrefixed(4)",
    })
    void eachPacketModeIsAFraming(String mode, String framing) throws Exception {
        Run run = (Run) CommandLine.parse(List.of("echo", "--packet=" + mode));

        assertThat(run.packet().value()).isEqualTo(mode);
        assertThat(run.packet().framing()).hasToString(framing);
    }

    @Test
    void theProxyReadsItsUpstreamAndHowToReachIt() throws Exception {
        Run plain = (Run) CommandLine.parse(List.of("proxy", "--upstream", "[::1]:4000", "--port", "0"));
        assertThat(plain.upstream()).hasValue(TcpProxy.Upstream.of("::1", 4000));

        Run full = (Run) CommandLine.parse(args("proxy", "--upstream=db.internal:5432", "--upstream-tls",
                "--upstream-ca", server.certificate(), "--upstream-server-name", "localhost", "--send-proxy"));
        TcpProxy.Upstream upstream = full.upstream().orElseThrow();
        assertThat(upstream.host()).isEqualTo("db.internal");
        assertThat(upstream.port()).isEqualTo(5432);
        assertThat(upstream.sendProxyHeader()).isTrue();
        assertThat(upstream.tls()).hasValueSatisfying(tls -> assertThat(tls.toString())
                .contains(server.certificate().toString(), "server name localhost"));
        assertThat(((Run) CommandLine.parse(List.of("echo"))).upstream()).isEmpty();
    }

    @Test
    void helpWinsOverEverythingElse() throws Exception {
        assertThat(CommandLine.parse(List.of("--help"))).isInstanceOf(Help.class);
        assertThat(CommandLine.parse(List.of("chat", "--port", "nonsense", "-h"))).isInstanceOf(Help.class);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "''                       | no example given: choose echo, chat, http, proxy, lowlevel",
        "--port 1                 | no example given",
        "ping                     | unknown example \"ping\": choose echo or chat or http or proxy or lowlevel",
        "echo chat                | unexpected argument \"chat\"",
        "echo --prot 1            | unknown option --prot",
        "echo --port              | --port needs a value: --port N",
        "echo --port abc          | --port must be a whole number from 0 to 65535, got \"abc\"",
        "echo --port 65536        | got \"65536\"",
        "echo --port -1           | got \"-1\"",
        "echo --port=             | got \"\"",
        "echo --bind 300.1.1.1    | --bind: bindAddress \"300.1.1.1\" is not a valid IPv4 address",
        "echo --bind              | --bind needs a value: --bind ADDRESS",
        "echo --tls-cert c.pem    | --tls-cert needs --tls-key too: the PEM file of the certificate's private key",
        "chat --tls-key k.pem     | --tls-key needs --tls-cert too: the PEM file of the certificate chain",
        "echo --tls-cert          | --tls-cert needs a value: --tls-cert FILE",
        "echo --tls-key= --tls-cert c.pem | --tls-key needs a file name: --tls-key FILE",
        "lowlevel --tls-cert c.pem --tls-key k.pem | the lowlevel example serves plain TCP only; --tls-cert and --tls-key work with echo, chat, http and proxy",
        "lowlevel --tls-cert c.pem | the lowlevel example serves plain TCP only",
        "lowlevel --proxy-protocol | the lowlevel example reads no PROXY protocol header; --proxy-protocol works with echo, chat, http and proxy",
        "echo --proxy-protocol=v1  | --proxy-protocol takes no value",
        "echo --tls-cert /no/such/c.pem --tls-key /no/such/k.pem | certificate file /no/such/c.pem: does not exist",
        "echo --unix /tmp/e.sock --port 1  | --unix listens on a socket file instead of TCP; --port does not go with it",
        "echo --bind ::1 --unix /tmp/e.sock | --unix listens on a socket file instead of TCP; --bind does not go with it",
        "chat --unix=                      | --unix needs a file name: --unix PATH",
        "lowlevel --unix /tmp/e.sock       | the lowlevel example listens on TCP only; --unix works with echo, chat, http and proxy",
        "echo --unix /tmp/e.sock --listen-sockets 2 | --listen-sockets shares a TCP port; it does not go with --unix",
        "echo --listen-sockets 0           | --listen-sockets must be a whole number from 1 to 10, got \"0\"",
        "echo --listen-sockets 11          | got \"11\"",
        "lowlevel --listen-sockets 2       | the lowlevel example listens on TCP only; --listen-sockets works with echo, chat, http and proxy",
        "echo --max-connections 0          | --max-connections must be a whole number from 1 to 2147483647, got \"0\"",
        "echo --max-connections -2         | --max-connections must be a whole number from 1 to 2147483647, got \"-2\"",
        "echo --max-connections 2147483648 | got \"2147483648\"",
        "echo --max-connections 1.5        | got \"1.5\"",
        "echo --max-connections many       | got \"many\"",
        "echo --max-connections            | --max-connections needs a value: --max-connections N",
        "echo --idle-timeout 0             | --idle-timeout must be a number of seconds above 0 and at most 31536000, such as 30 or 0.5, got \"0\"",
        "echo --idle-timeout 0.000         | got \"0.000\"",
        "chat --idle-timeout -1            | --idle-timeout must be a number of seconds above 0 and at most 31536000, such as 30 or 0.5, got \"-1\"",
        "echo --idle-timeout 1e3           | --idle-timeout must be a number of seconds above 0 and at most 31536000, such as 30 or 0.5, got \"1e3\"",
        "echo --idle-timeout NaN           | --idle-timeout must be a number of seconds above 0 and at most 31536000, such as 30 or 0.5, got \"NaN\"",
        "echo --idle-timeout 0x10          | --idle-timeout must be a number of seconds above 0 and at most 31536000, such as 30 or 0.5, got \"0x10\"",
        "echo --idle-timeout 5s            | --idle-timeout must be a number of seconds above 0 and at most 31536000, such as 30 or 0.5, got \"5s\"",
        "echo --idle-timeout 31536000.1    | --idle-timeout must be a number of seconds above 0 and at most 31536000, such as 30 or 0.5, got \"31536000.1\"",
        "echo --idle-timeout=              | --idle-timeout must be a number of seconds above 0 and at most 31536000, such as 30 or 0.5, got \"\"",
        "echo --idle-timeout               | --idle-timeout needs a value: --idle-timeout SECONDS",
        "echo --drain-timeout -1           | --drain-timeout must be a number of seconds from 0 to 31536000, such as 10 or 0.5, got \"-1\"",
        "echo --drain-timeout ten          | --drain-timeout must be a number of seconds from 0 to 31536000, such as 10 or 0.5, got \"ten\"",
        "echo --drain-timeout Infinity     | --drain-timeout must be a number of seconds from 0 to 31536000, such as 10 or 0.5, got \"Infinity\"",
        "echo --drain-timeout 99999999999  | --drain-timeout must be a number of seconds from 0 to 31536000, such as 10 or 0.5, got \"99999999999\"",
        "chat --drain-timeout .            | --drain-timeout must be a number of seconds from 0 to 31536000, such as 10 or 0.5, got \".\"",
        "chat --drain-timeout              | --drain-timeout needs a value: --drain-timeout SECONDS",
        "lowlevel --max-connections 2      | the lowlevel example serves one client at a time; --max-connections works with echo, chat, http and proxy",
        "lowlevel --idle-timeout 0.5       | the lowlevel example has no idle timeout; --idle-timeout works with echo, chat, http and proxy",
        "lowlevel --max-connections 0      | --max-connections must be a whole number from 1 to 2147483647, got \"0\"",
        "echo --packet 3                   | --packet must be raw, line, 1, 2 or 4, got \"3\"",
        "echo --packet LINE                | --packet must be raw, line, 1, 2 or 4, got \"LINE\"",
        "echo --packet                     | --packet needs a value: --packet MODE",
        "echo --packet line --max-packet 0 | --max-packet must be a whole number of bytes from 1 to 1073741824, got \"0\"",
        "echo --packet 4 --max-packet 1073741825 | got \"1073741825\"",
        "echo --packet 2 --max-packet 1k   | got \"1k\"",
        "echo --max-packet 100             | --max-packet bounds framed packets: give --packet line, 1, 2 or 4 too",
        "echo --packet raw --max-packet 9  | --max-packet bounds framed packets",
        "chat --packet line                | --packet works with echo only; the chat example reads its protocol its own way",
        "http --max-packet 10 --packet 1   | --packet works with echo only; the http example",
        "lowlevel --max-packet 10          | --max-packet works with echo only",
        "proxy                             | the proxy example needs --upstream HOST:PORT: where to relay each connection",
        "proxy --upstream-tls              | the proxy example needs --upstream HOST:PORT",
        "echo --upstream localhost:4000    | --upstream works with proxy only; the echo example connects nowhere",
        "chat --send-proxy                 | --send-proxy works with proxy only",
        "proxy --upstream localhost        | --upstream: expected HOST:PORT, such as localhost:4000, got \"localhost\"",
        "proxy --upstream ::1:4000         | --upstream: an IPv6 address goes in brackets, such as [::1]:4000",
        "proxy --upstream h:99999          | --upstream: the upstream port must be from 1 to 65535, got 99999",
        "proxy --upstream h:1 --upstream-ca ca.pem | --upstream-ca is for TLS to the upstream: give --upstream-tls too",
        "proxy --upstream h:1 --upstream-server-name db | --upstream-server-name is for TLS to the upstream",
        "proxy --upstream h:1 --upstream-tls --upstream-server-name a_b | --upstream-server-name: serverName: \"a_b\" is neither",
        "proxy --upstream h:1 --upstream-tls --upstream-ca /no/such/ca.pem | /no/such/ca.pem",
        "proxy --upstream h:1 --upstream-tls=yes | --upstream-tls takes no value",
    })
    void aBadArgumentIsNamedInTheError(String arguments, String expectedMessage) {
        List<String> args = arguments.isEmpty() ? List.of() : List.of(arguments.split(" "));

        assertThatThrownBy(() -> CommandLine.parse(args))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining(expectedMessage)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void aCertificateAndItsKeyServeTls() throws Exception {
        Run run = (Run) CommandLine.parse(args("echo", "--port", "0", "--tls-cert", server.certificate(),
                "--tls-key", server.key()));

        assertThat(run.example()).isEqualTo(Example.ECHO);
        assertThat(run.port()).isZero();
        assertThat(run.tls()).hasValueSatisfying(
                tls -> assertThat(tls.files()).containsExactly(server.certificate(), server.key()));
    }

    @Test
    void theTlsFlagsMayComeInAnyOrderAndWithEquals() throws Exception {
        Run run = (Run) CommandLine.parse(args("--tls-key=" + server.key(), "chat", "--tls-cert=" + server.certificate()));

        assertThat(run.example()).isEqualTo(Example.CHAT);
        assertThat(run.tls()).hasValueSatisfying(
                tls -> assertThat(tls.files()).containsExactly(server.certificate(), server.key()));
    }

    @Test
    void withoutTheTlsFlagsTheExampleServesPlainTcp() throws Exception {
        assertThat(((Run) CommandLine.parse(List.of("chat"))).tls()).isEmpty();
    }

    @Test
    void aKeyOfAnotherCertificateIsRefusedWithTheLibrarysMessage() {
        assertThatThrownBy(() -> CommandLine.parse(args("echo", "--tls-cert", server.certificate(), "--tls-key", other.key())))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("key file " + other.key())
                .hasMessageContaining("does not match the certificate")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void aFileThatIsNotPemIsRefusedWithTheLibrarysMessage() {
        // The key where the certificate belongs: the library says which file and what it found.
        assertThatThrownBy(() -> CommandLine.parse(args("echo", "--tls-cert", server.key(), "--tls-key", server.key())))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("certificate file " + server.key())
                .hasMessageContaining("has no certificate")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void theUsageListsEveryExampleAndOption() {
        String usage = CommandLine.usage();

        for (Example example : Example.values()) {
            assertThat(usage).contains("  " + example.command() + " ");
        }
        assertThat(usage).contains("--proxy-protocol ", "--packet MODE", "--max-packet BYTES", "default raw",
                "default 65536, the library's");
        assertThat(usage).contains("--port N", "--bind ADDRESS", "--tls-cert FILE", "--tls-key FILE", "--help",
                "default 3000", "default 0.0.0.0").endsWith("\n");
        assertThat(usage).contains("--unix PATH", "--listen-sockets N", "listening on unix:PATH");
        assertThat(usage).contains("--upstream HOST:PORT", "--upstream-tls ", "--upstream-ca FILE",
                "--upstream-server-name NAME", "--send-proxy ");
        assertThat(usage.lines()).noneMatch(line -> line.startsWith("listening on"));
        assertThat(usage).contains("--max-connections N", "--idle-timeout SECONDS", "--drain-timeout SECONDS",
                "default 16384, the library's", "default none", "default 10", "0 closes them at once", "0.5");
    }

    @Test
    void theUsageKeepsTheDescriptionsInOneColumn() {
        List<String> optionLines = CommandLine.usage().lines().dropWhile(line -> !line.equals("Options:")).skip(1).toList();

        assertThat(optionLines).hasSize(18).allSatisfy(line -> assertThat(line).matches("  --[a-z-]+( [A-Z:]+)? +\\S.*"));
        assertThat(optionLines.stream().map(CommandLineTest::descriptionColumn).distinct()).hasSize(1);
    }

    /** Where the description starts: after the flag, its value's name and the padding. */
    private static int descriptionColumn(String usageLine) {
        Matcher synopsis = Pattern.compile("  \\S+( [A-Z:]+)? +").matcher(usageLine);
        assertThat(synopsis.lookingAt()).as(usageLine).isTrue();
        return synopsis.end();
    }

    private static List<String> args(Object... arguments) {
        List<String> args = new ArrayList<>();
        for (Object argument : arguments) {
            args.add(argument.toString());
        }
        return args;
    }
}
