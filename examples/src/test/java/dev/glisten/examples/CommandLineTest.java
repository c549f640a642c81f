package dev.glisten.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.examples.CommandLine.Help;
import dev.glisten.examples.CommandLine.Run;
import dev.glisten.examples.CommandLine.UsageException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CommandLineTest {

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
    })
    void aBadArgumentIsNamedInTheError(String arguments, String expectedMessage) {
        List<String> args = arguments.isEmpty() ? List.of() : List.of(arguments.split(" "));

        assertThatThrownBy(() -> CommandLine.parse(args))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining(expectedMessage)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void theUsageListsEveryExampleAndOption() {
        String usage = CommandLine.usage();

        for (Example example : Example.values()) {
            assertThat(usage).contains("  " + example.command() + " ");
        }
        assertThat(usage).contains("--port N", "--bind ADDRESS", "--help", "default 3000", "default 0.0.0.0")
                .endsWith("\n");
    }
}
