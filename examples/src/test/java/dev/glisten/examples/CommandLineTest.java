package dev.glisten.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.examples.CommandLine.Help;
import dev.glisten.examples.CommandLine.Run;
import dev.glisten.examples.CommandLine.UsageException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
    void helpWinsOverEverythingElse() throws Exception {
        assertThat(CommandLine.parse(List.of("--help"))).isInstanceOf(Help.class);
        assertThat(CommandLine.parse(List.of("chat", "--port", "nonsense", "-h"))).isInstanceOf(Help.class);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "''                       | no example given: choose echo, chat, lowlevel",
        "--port 1                 | no example given",
        "ping                     | unknown example \"ping\": choose echo or chat or lowlevel",
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
        "lowlevel --tls-cert c.pem --tls-key k.pem | the lowlevel example serves plain TCP only; --tls-cert and --tls-key work with echo and chat",
        "lowlevel --tls-cert c.pem | the lowlevel example serves plain TCP only",
        "echo --tls-cert /no/such/c.pem --tls-key /no/such/k.pem | certificate file /no/such/c.pem: does not exist",
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
        assertThat(usage).contains("--port N", "--bind ADDRESS", "--tls-cert FILE", "--tls-key FILE", "--help",
                "default 3000", "default 0.0.0.0").endsWith("\n");
    }

    private static List<String> args(Object... arguments) {
        List<String> args = new ArrayList<>();
        for (Object argument : arguments) {
            args.add(argument.toString());
        }
        return args;
    }
}
